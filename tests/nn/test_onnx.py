"""nn.onnx.export: the exported graph passes onnx.checker and ONNX Runtime computes what the engine computes (float32,
rtol 1e-5, atol 1e-6) for every converted op, the MLP, the digits conv nets and the small GPT, at the example's batch
size and at others; unsupported ops and training mode fail with errors naming the op and the module.

onnx and onnxruntime come with the dev extra. Locally the tests skip without them; in CI (CI=true) they must be there.
"""
from __future__ import annotations

import importlib
import os
import sys

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Function, Tensor, concatenate, no_grad, stack, where
from autograd.engine import topological_order
from autograd.ops.elementwise import Where
from autograd.ops.shape import IndexAdd
from nn.attention import GPT, GPTConfig
from nn.functional import Dropout, NormalCDF
from nn.onnx import ExportError, export
from nn.onnx.converters import CONVERTERS


def _needed(name: str):
    if os.environ.get("CI") == "true":
        return importlib.import_module(name)  # in CI a missing package fails the tests, never skips them
    return pytest.importorskip(name)


onnx = _needed("onnx")
ort = _needed("onnxruntime")

RTOL, ATOL = 1e-5, 1e-6  # float32; atol for outputs near 0, where a relative tolerance means nothing


def _session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _engine(model, *inputs):
    with no_grad():
        out = model(*[Tensor(a) for a in inputs])
    return [o.data for o in out] if isinstance(out, (tuple, list)) else [out.data]


def _check_same(model, proto, *inputs):
    """ONNX Runtime's outputs on `inputs` equal the engine's (shape, dtype and values)."""
    got = _session(proto).run(None, {i.name: a for i, a in zip(proto.graph.input, inputs)})
    want = _engine(model, *inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def _batch(shape, n, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal((n,) + shape).astype(dtype)


class Lambda(nn.Module):
    """A module whose forward is `fn`, in a sub-module (so op names carry a module path)."""

    def __init__(self, fn, *modules):
        super().__init__()
        self.fn, self.layers = fn, nn.ModuleList(modules)

    def forward(self, *xs):
        return self.fn(self, *xs)


# --- every converter: (id, model, the input's shape without the batch axis) ------------------------------------------
def _cases():
    nn.init.seed(0)
    bn1, bn1_seq, bn2 = nn.BatchNorm1d(5), nn.BatchNorm1d(3), nn.BatchNorm2d(3)
    for bn in (bn1, bn1_seq, bn2):  # running statistics and affine parameters far from the defaults
        n = bn.num_features
        rng = np.random.default_rng(n)
        bn.running_mean.data[:] = rng.standard_normal(n)
        bn.running_var.data[:] = rng.uniform(0.5, 2.0, n)
        bn.weight.data[:] = rng.standard_normal(n)
        bn.bias.data[:] = rng.standard_normal(n)
    f = Lambda
    return [
        ("relu", nn.ReLU(), (5,)), ("leaky_relu", nn.LeakyReLU(0.2), (5,)), ("gelu", nn.GELU(), (5,)),
        ("gelu_tanh", nn.GELU("tanh"), (5,)), ("normal_cdf", f(lambda m, x: NormalCDF.apply(x * 3)), (5,)),
        ("tanh", nn.Tanh(), (5,)), ("sigmoid", nn.Sigmoid(), (5,)),
        ("softmax", nn.Softmax(axis=1), (4, 3)), ("log_softmax", f(lambda m, x: F.log_softmax(x)), (6,)),
        ("exp_log_sqrt", f(lambda m, x: (x.exp() + 1).log().sqrt()), (5,)),
        ("sin_cos_abs_neg", f(lambda m, x: (-x.sin()).abs() + x.cos()), (5,)),
        ("sub_div_pow", f(lambda m, x: (x - 0.5) / (x * x + 1) + (x * x + 1) ** 1.5), (5,)),
        ("clip_max_min", f(lambda m, x: x.clip(-0.5, None) + x.clip(-1, 1) + x.maximum(x * 0.3) + x.minimum(0.2)),
         (5,)),
        ("where", f(lambda m, x: where(np.arange(5) % 2 == 0, x, -np.inf).exp()
                    + Where.apply(Tensor(np.arange(5) < 2), x, -x)), (5,)),  # a Tensor condition too
        ("float64_cast_and_promotion", f(lambda m, x: (x.astype(np.float64) * x + np.arange(5)).astype(np.float32)),
         (5,)),
        ("sum_mean", f(lambda m, x: x.sum(axis=1) + x.mean(axis=(1, 2), keepdims=False)[:, None]), (3, 4)),
        ("max_min_logsumexp", f(lambda m, x: x.max(axis=-1, keepdims=True) - x.min(axis=2, keepdims=True)
                                + x.logsumexp(axis=2, keepdims=True) * 1e-3), (3, 4)),
        ("reductions_over_everything", f(lambda m, x: x.sum() + x.mean() + x.max() + x.min() + x.logsumexp()),
         (3,)),
        ("reshape_transpose_flatten", f(lambda m, x: m.layers[0](x.transpose(0, 2, 1).reshape(-1, 2, 2, 3)),
                                        nn.Flatten()), (3, 4)),
        ("var_std_squeeze_expand_dims", f(lambda m, x: x.var(axis=1) + x.std(axis=1, ddof=1)
                                          + x.expand_dims(1).squeeze(1).sum(axis=1)), (3, 4)),
        ("broadcast_to", f(lambda m, x: x.reshape(-1, 1, 3).broadcast_to((x.shape[0], 4, 3)) * 2), (3,)),
        ("getitem_basic", f(lambda m, x: x[:, 1:, ::-2] + x[..., -1:, None, 0] + x[:, -1][:, None, 1:3]), (3, 4)),
        ("getitem_array_and_mask", f(lambda m, x: x[:, np.array([2, 0, 2, -1])] * x[:, :, np.array(
            [True, False, True, True])].sum() + x[None, :, [0, 2, 1, 1], :1][0]), (3, 4)),
        ("concatenate_stack_split", f(lambda m, x: concatenate(x.split([1, 3], axis=1)[::-1], axis=1)
                                      + stack([x, x * 2], axis=1).sum(axis=1)), (4, 2)),
        ("pad", f(lambda m, x: x.pad(((0, 0), (1, 2), (0, 1)), 0.5)), (3, 4)),
        ("matmul", f(lambda m, x: x @ m.layers[0].weight + (x[:, 0] @ m.layers[0].weight)[:, None]
                     + (x @ m.layers[0].weight[0])[..., None], nn.Linear(3, 3)), (4, 3)),
        ("linear_batch_of_rows", nn.Linear(5, 3), (5,)),
        ("linear_3d_no_bias", nn.Linear(5, 3, bias=False), (4, 5)),
        ("conv2d_stride_padding", nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 7, 6)),
        ("conv2d_no_bias_rect", nn.Conv2d(2, 3, (3, 2), padding=(0, 1), bias=False), (2, 5, 5)),
        ("max_pool_padding", nn.MaxPool2d(3, stride=2, padding=1), (2, 7, 6)),
        ("avg_pool_padding", nn.AvgPool2d(2, padding=1), (2, 5, 5)),
        ("batch_norm_1d", bn1, (5,)), ("batch_norm_1d_sequence", bn1_seq, (3, 4)), ("batch_norm_2d", bn2, (3, 4, 4)),
        ("layer_norm", nn.LayerNorm((3, 4)), (3, 4)),
        ("dropout_eval_and_identity", nn.Sequential(nn.Dropout(0.5), nn.Identity(), nn.Linear(3, 2)), (3,)),
    ]


CASES = _cases()


def _recorded(model, example):
    """The Functions a forward records, by the engine's own walk."""
    x = Tensor(example, requires_grad=True)
    out = model(x)
    return {node.fn for node in topological_order([out.grad_fn])}


@pytest.mark.parametrize("model, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_op_runs_in_onnx_runtime_like_the_engine_at_several_batch_sizes(model, shape):
    model.eval()
    proto = export(model, _batch(shape, 3, 0), None, dynamic_axes={"input": {0: "batch"}})
    onnx.checker.check_model(proto, full_check=True)
    for n, seed in ((3, 1), (1, 2), (6, 3)):
        _check_same(model, proto, _batch(shape, n, seed))


def test_the_cases_cover_every_converter():
    recorded = set()
    for _, model, shape in CASES:
        recorded |= _recorded(model.eval(), _batch(shape, 2, 0))
    # Dropout's converter only raises (training mode, tested below); the GPT test covers indexing by token ids
    assert set(CONVERTERS) - recorded == {Dropout}


# --- whole models ----------------------------------------------------------------------------------------------------
def _dynamic(proto):
    """The symbolic (dim_param) axes of each graph input and output."""
    return {v.name: [i for i, d in enumerate(v.type.tensor_type.shape.dim) if d.dim_param]
            for v in list(proto.graph.input) + list(proto.graph.output)}


def test_the_mlp_runs_in_onnx_runtime_like_the_engine_with_a_dynamic_batch(tmp_path):
    nn.init.seed(0)
    model = nn.MLP([64, 32, 32, 10]).eval()
    path = tmp_path / "mlp.onnx"
    proto = export(model, _batch((64,), 8, 0), path, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    assert onnx.load(str(path)).SerializeToString() == proto.SerializeToString()
    onnx.checker.check_model(str(path), full_check=True)
    assert _dynamic(proto) == {"input": [0], "output": [0]}
    for n in (8, 1, 33):
        _check_same(model, proto, _batch((64,), n, n))


def _train_briefly(model, digits_split, steps):
    """A few Adam steps on the digits, so weights and BatchNorm's running statistics are a trained network's."""
    import optim
    x_train, y_train = digits_split[0].reshape(-1, 1, 8, 8), digits_split[1]
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        batch = slice(32 * step, 32 * step + 32)
        loss = F.cross_entropy(model(Tensor(x_train[batch])), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval(), digits_split[2].reshape(-1, 1, 8, 8)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["notebook_06_with_dropout", "with_batch_norm"])
def test_the_digits_conv_net_runs_in_onnx_runtime_like_the_engine(digits_split, one_blas_thread, batch_norm):
    nn.init.seed(0)
    norm = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
    model = nn.Sequential(  # notebook 06's conv net; tests/nn/test_training_conv.py's has BatchNorm2d instead
        nn.Conv2d(1, 32, kernel_size=3, padding=1), norm(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), norm(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    model, x_test = _train_briefly(model, digits_split, 20)
    proto = export(model, x_test[:16], None, input_names=["image"], output_names=["logits"],
                   dynamic_axes={"image": {0: "N"}})
    assert _dynamic(proto) == {"image": [0], "logits": [0]}  # the batch symbol follows through to the output
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "N"
    for batch in (x_test[:16], x_test[16:17], x_test):
        _check_same(model, proto, batch)
    if batch_norm:
        assert {"1.running_mean", "1.running_var", "5.running_mean", "5.running_var"} <= \
            {i.name for i in proto.graph.initializer}


def _small_gpt():
    nn.init.seed(0)
    model = GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)).eval()
    for name, p in model.named_parameters():  # layer norms and biases away from 1 and 0, so every term matters
        if ".ln_" in name or name.startswith("ln_f") or name.endswith("bias"):
            p.data += np.random.default_rng(len(name)).normal(0, 0.1, p.shape).astype(p.dtype)
    return model


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_the_gpt_with_its_causal_mask_runs_in_onnx_runtime_like_the_engine(opset):
    model = _small_gpt()
    idx = np.random.default_rng(0).integers(0, 13, (2, 7))
    proto = export(model, idx, None, opset=opset, input_names=["idx"], output_names=["logits"],
                   dynamic_axes={"idx": {0: "batch"}, "logits": {0: "batch"}})
    assert proto.opset_import[0].version == opset
    for n in (2, 1, 5):
        _check_same(model, proto, np.random.default_rng(n).integers(0, 13, (n, 7)))


def test_initializers_are_the_state_dict_and_nodes_are_named_by_module_path():
    model = _small_gpt()
    proto = export(model, np.zeros((1, 4), dtype=np.int64), None)
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    state = model.state_dict()
    assert {name for name in initializers if not name.startswith("/")} == set(state)
    for name, array in state.items():
        np.testing.assert_array_equal(initializers[name], array)
    names = [n.name for n in proto.graph.node]
    assert "/h.0.attn.c_attn/MatMul" in names and "/h.1.attn/Softmax" in names and "/wte/Gather" in names
    assert len(set(names)) == len(names)


def test_export_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    model[0].bias.requires_grad = False  # a frozen parameter is exported too, under its name
    before = {k: v.copy() for k, v in model.state_dict().items()}
    proto = export(model, _batch((3,), 2, 0), None)
    assert "0.bias" in {i.name for i in proto.graph.initializer}
    assert not model[0].bias.requires_grad and model[0].weight.requires_grad
    assert not model[1].running_mean.requires_grad
    assert all(p.grad is None for p in model.parameters())
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


class TwoInTwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 3)

    def forward(self, x, y):
        h = self.proj(x)
        total = h + y
        return total, h * y, x, total  # an input and a repeated output come out under their own names too


def test_several_inputs_and_outputs_keep_their_names_and_order():
    model = TwoInTwoOut()
    x, y = _batch((3,), 2, 0), _batch((3,), 2, 1)
    proto = export(model, (x, y), None, input_names=["x", "y"],
                   output_names=["sum", "product", "x_again", "sum_again"], dynamic_axes={"x": [0], "y": [0]})
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["sum", "product", "x_again", "sum_again"]
    assert proto.graph.name == "TwoInTwoOut"
    _check_same(model, proto, _batch((3,), 4, 2), _batch((3,), 4, 3))


# --- errors ----------------------------------------------------------------------------------------------------------
class Cube(Function):
    """y = x**3;  dy/dx = 3 x**2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_an_op_without_an_onnx_form_is_named_with_the_module_it_ran_in():
    model = nn.Sequential(nn.Linear(3, 3), Lambda(lambda m, x: Cube.apply(x)))
    with pytest.raises(ExportError, match=r"Cube in 1 \(Lambda\) has no ONNX form"):
        export(model, _batch((3,), 2, 0), None)


def test_indexing_that_mixes_an_array_with_integers_is_refused_by_name():
    model = nn.Sequential(Lambda(lambda m, x: x[:, [0, 1], 0]))
    with pytest.raises(ExportError, match=r"GetItem in 0 \(Lambda\): .*an index array together with integers"):
        export(model, _batch((3, 4), 2, 0), None)


def test_a_backward_only_op_has_no_onnx_form():
    model = Lambda(lambda m, x: IndexAdd.apply(x, np.array([0, 0, 2]), (4,), x.dtype))
    with pytest.raises(ExportError, match=r"IndexAdd in the model's own forward \(Lambda\) has no ONNX form"):
        export(model, np.ones(3, np.float32), None)


@pytest.mark.parametrize("layer", [nn.BatchNorm1d(3), nn.Dropout(0.1), nn.Dropout(0.0)], ids=["bn", "dropout", "p0"])
def test_training_mode_asks_for_eval(layer):
    model = nn.Sequential(nn.Linear(3, 3), layer)
    with pytest.raises(ExportError, match=r"1 \(\w+\) is in training mode.*call model.eval\(\)"):
        export(model, _batch((3,), 4, 0), None)
    export(model.eval(), _batch((3,), 4, 0), None)


def test_functional_dropout_in_training_mode_asks_for_eval():
    model = Lambda(lambda m, x: F.dropout(x, 0.5, training=True))
    with pytest.raises(ExportError, match=r"Dropout in the model's own forward \(Lambda\).*call model.eval\(\)"):
        export(model, _batch((3,), 4, 0), None)


def test_a_constant_made_from_a_dynamic_axis_is_an_error_naming_the_op():
    with pytest.raises(ExportError, match=r"GetItem in wpe \(Embedding\) changed when the inputs changed"):
        export(_small_gpt(), np.zeros((2, 5), dtype=np.int64), None, dynamic_axes={"input": {0: "B", 1: "T"}})


def test_a_forward_that_branches_on_values_is_an_error():
    model = Lambda(lambda m, x: x.exp() if float(x.data.sum()) > 3 else x.tanh())
    with pytest.raises(ExportError, match=r"recorded other ops when its inputs changed.*first at Tanh"):
        export(model, np.full((2, 3), 0.498, np.float32), None)  # the variant's values sum to more than 3


def test_integer_inputs_used_outside_the_graph_are_an_error():
    model = Lambda(lambda m, x: m.layers[0](Tensor(x.data.astype(np.float32))), nn.Linear(3, 2))
    with pytest.raises(ExportError, match=r"argument 0 of Linear in layers.0 \(Linear\) changed"):
        export(model, np.arange(6).reshape(2, 3), None)


def test_bad_arguments_are_rejected():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="opset must be between 13"):
        export(model, _batch((3,), 2, 0), None, opset=11)
    with pytest.raises(ValueError, match=r"dynamic_axes names \['inputs'\]"):
        export(model, _batch((3,), 2, 0), None, dynamic_axes={"inputs": [0]})
    with pytest.raises(ValueError, match="expected 1 distinct input_names"):
        export(model, _batch((3,), 2, 0), None, input_names=["a", "b"])
    with pytest.raises(ValueError, match="share names"):
        export(model, _batch((3,), 2, 0), None, input_names=["x"], output_names=["x"])
    with pytest.raises(ValueError, match=r"names \['bias'\] are already those of parameters"):
        export(model, _batch((3,), 2, 0), None, output_names=["bias"])
    with pytest.raises(ExportError, match="output 0 of Lambda is a float"):
        export(Lambda(lambda m, x: 1.0), _batch((3,), 2, 0), None)


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "chainrule\[onnx\]"'):
        export(nn.Linear(3, 2), _batch((3,), 2, 0), None)
