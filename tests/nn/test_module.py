"""nn.Module, Parameter and the containers: registration, traversal, modes, state dicts, printing."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.errors import AutogradError, DTypeError


class Block(nn.Module):
    def __init__(self, n: int = 3) -> None:
        super().__init__()
        self.fc = nn.Linear(n, n, dtype=np.float64)
        self.scale = nn.Parameter(np.ones(n))
        self.register_buffer("count", np.zeros(1))

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = Block()
        self.act = nn.Tanh()
        self.second = Block()
        self.head = nn.Linear(3, 2, dtype=np.float64)

    def forward(self, x):
        return self.head(self.second(self.act(self.first(x))))


@pytest.fixture(autouse=True)
def _seed():
    nn.init.seed(0)


# --- Parameter -----------------------------------------------------------------------------------------------------
def test_parameter_requires_grad_and_copies_its_data():
    data = np.arange(3.0)
    p = nn.Parameter(data)
    data[0] = 10.0
    assert p.requires_grad and p.is_leaf
    assert p.data[0] == 0.0
    assert p.dtype == np.float64


def test_parameter_from_a_tensor_copies_the_tensors_data():
    t = Tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, Tensor) and p.dtype == np.float32
    assert p.data is not t.data and np.array_equal(p.data, t.data)


def test_parameter_frozen_with_requires_grad_false():
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad


def test_parameter_of_integers_is_a_dtype_error():
    with pytest.raises(DTypeError):
        nn.Parameter(np.arange(3))


def test_parameter_repr_says_parameter():
    assert repr(nn.Parameter(np.zeros(2))).startswith("Parameter containing:\nTensor(")


# --- registration and traversal --------------------------------------------------------------------------------------
def test_named_parameters_are_dotted_and_in_registration_order():
    names = [name for name, _ in Net().named_parameters()]
    # as in PyTorch: a module's own parameters, then its children's
    assert names == ["first.scale", "first.fc.weight", "first.fc.bias", "second.scale", "second.fc.weight",
                     "second.fc.bias", "head.weight", "head.bias"]


def test_parameters_match_named_parameters():
    net = Net()
    assert [id(p) for p in net.parameters()] == [id(p) for _, p in net.named_parameters()]


def test_named_parameters_prefix_and_no_recursion():
    block = Block()
    assert [n for n, _ in block.named_parameters(prefix="b")] == ["b.scale", "b.fc.weight", "b.fc.bias"]
    assert [n for n, _ in block.named_parameters(recurse=False)] == ["scale"]


def test_tied_parameter_is_listed_once():
    net = Net()
    net.second.fc.weight = net.first.fc.weight
    params = list(net.parameters())
    assert len(params) == len({id(p) for p in params}) == 7
    assert net.num_parameters() == 3 * 3 + 3 + 3 + 3 + 3 + 3 * 2 + 2


def test_shared_module_is_listed_once_in_modules():
    net = Net()
    net.second = net.first
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "first", "first.fc", "act", "head"]


def test_named_modules_depth_first_with_the_root_named_empty():
    assert [n for n, _ in Net().named_modules()] == ["", "first", "first.fc", "act", "second", "second.fc", "head"]


def test_children_are_direct_submodules_only():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["first", "act", "second", "head"]
    assert list(net.children())[0] is net.first


def test_setting_attributes_before_super_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(RuntimeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor to parameter 'weight'"):
        layer.weight = layer.weight * 2
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_assigning_a_plain_value_to_a_submodule_name_is_refused():
    net = Net()
    with pytest.raises(TypeError, match="sub-module 'act'"):
        net.act = lambda x: x


def test_assigning_none_removes_the_parameter_from_parameters():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


def test_replacing_a_parameter_by_a_parameter_keeps_its_place():
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(np.zeros((2, 2), np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert np.all(layer.weight.data == 0)


def test_delattr_unregisters():
    net = Net()
    del net.head
    assert "head.weight" not in dict(net.named_parameters())
    assert not hasattr(net, "head")


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    m.add_module("inner", nn.Linear(2, 1))
    m.register_parameter("unused", None)
    assert [n for n, _ in m.named_parameters()] == ["w", "inner.weight", "inner.bias"]
    assert m.unused is None
    with pytest.raises(TypeError, match="expected an nn.Parameter"):
        m.register_parameter("bad", Tensor([1.0]))
    with pytest.raises(TypeError, match="expected an nn.Module"):
        m.add_module("bad", 3)


# --- buffers ---------------------------------------------------------------------------------------------------------
def test_buffers_are_in_the_state_dict_but_not_parameters():
    block = Block()
    assert "count" not in dict(block.named_parameters())
    assert [n for n, _ in block.named_buffers()] == ["count"]
    assert list(block.state_dict()) == ["scale", "count", "fc.weight", "fc.bias"]


def test_buffer_reassigned_with_an_array_stays_a_registered_tensor():
    block = Block()
    block.count = np.array([5.0])
    assert isinstance(block.count, Tensor)
    assert block.state_dict()["count"][0] == 5.0


def test_non_persistent_buffer_is_left_out_of_the_state_dict():
    m = nn.Module()
    m.register_buffer("mask", np.tril(np.ones((3, 3))), persistent=False)
    m.register_buffer("steps", np.zeros(1))
    assert [n for n, _ in m.named_buffers()] == ["mask", "steps"]
    assert list(m.state_dict()) == ["steps"]
    m.load_state_dict({"steps": np.ones(1)})
    assert m.steps.data[0] == 1.0


def test_register_buffer_over_an_existing_attribute_is_refused():
    block = Block()
    with pytest.raises(KeyError, match="already has an attribute 'scale'"):
        block.register_buffer("scale", np.zeros(3))


# --- modes and helpers -----------------------------------------------------------------------------------------------
def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_train_mode_must_be_a_bool():
    with pytest.raises(TypeError):
        Net().train("no")


def test_apply_visits_children_before_parents_in_order():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Block", "Tanh", "Linear", "Block", "Linear", "Net"]


def test_zero_grad_to_none_and_to_zeros():
    layer = nn.Linear(2, 1)
    layer(Tensor(np.ones((3, 2), np.float32))).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    assert np.array_equal(layer.weight.grad.data, np.zeros((1, 2)))
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_requires_grad_false_freezes_and_num_parameters_trainable_only():
    net = Net()
    net.first.requires_grad_(False)
    assert net.num_parameters() == 2 * (9 + 3 + 3) + 8
    assert net.num_parameters(trainable_only=True) == 15 + 8


def test_to_float64_casts_parameters_and_buffers():
    layer = nn.Linear(2, 3)
    layer.register_buffer("stat", np.zeros(3, np.float32))
    assert layer.to(np.float64) is layer
    assert {t.dtype for t in list(layer.parameters()) + list(layer.buffers())} == {np.dtype(np.float64)}
    with pytest.raises(TypeError):
        layer.to(np.int32)


def test_to_keeps_the_parameters_and_breaks_graphs_that_saved_them():
    layer = nn.Linear(2, 3)
    weight, before = layer.weight, layer.weight.data.copy()
    y = layer(Tensor(np.ones((1, 2), np.float32)))
    layer.to(np.float64)
    assert layer.weight is weight and weight.dtype == np.float64 and np.array_equal(weight.data, before)
    with pytest.raises(ag.BackwardError, match="modified by an in-place operation"):
        y.sum().backward()


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1)


def test_call_names_parameters_for_drawings():
    net = Net()
    net(Tensor(np.ones((1, 3))))
    assert net.first.fc.weight.name == "first.fc.weight"
    assert net.head.bias.name == "head.bias"


def test_names_follow_the_outermost_module_after_a_submodule_was_called_alone():
    net = Net()
    net.first(Tensor(np.ones((1, 3))))
    assert net.first.fc.weight.name == "fc.weight"
    net(Tensor(np.ones((1, 3))))
    assert net.first.fc.weight.name == "first.fc.weight"


def test_two_top_level_modules_called_alternately_rename_nothing_after_the_first_calls():
    from nn import module as module_file
    net, loss = Net(), nn.MSELoss()
    x, target = Tensor(np.ones((1, 3))), Tensor(np.zeros((1, 2)))
    loss(net(x), target)
    version = module_file._structure_version[0]
    for _ in range(3):
        loss(net(x), target)
    assert module_file._structure_version[0] == version
    assert net.first.fc.weight.name == "first.fc.weight"


def test_alternating_a_whole_model_and_its_submodule_keeps_renaming():
    net = Net()
    for _ in range(2):
        net.first(Tensor(np.ones((1, 3))))
        assert net.first.fc.weight.name == "fc.weight"
        net(Tensor(np.ones((1, 3))))
        assert net.first.fc.weight.name == "first.fc.weight"


def test_ops_made_inside_a_module_record_its_scope():
    net = Net()
    y = net(Tensor(np.ones((1, 3))))
    assert y.grad_fn.scope == (("", "Net"), ("head", "Linear"))


def test_gradcheck_through_a_whole_model():
    net = Net()
    x = Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    params = list(net.parameters())
    assert ag.gradcheck(lambda x, *ps: net(x), (x, *params))


# --- state dicts -----------------------------------------------------------------------------------------------------
def test_state_dict_holds_copies_in_registration_order():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["first.scale", "first.count", "first.fc.weight", "first.fc.bias", "second.scale",
                        "second.count", "second.fc.weight", "second.fc.bias", "head.weight", "head.bias"]
    assert all(type(v) is np.ndarray for v in sd.values())
    sd["head.bias"][:] = 123.0
    assert not np.any(net.head.bias.data == 123.0)


def test_load_state_dict_round_trip_gives_equal_outputs():
    source, target = Net(), Net()
    x = Tensor(np.random.default_rng(2).standard_normal((4, 3)))
    assert not np.allclose(source(x).data, target(x).data)
    result = target.load_state_dict(source.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    assert np.array_equal(source(x).data, target(x).data)


def test_load_state_dict_writes_in_place_and_keeps_dtype():
    layer = nn.Linear(2, 2)
    array = layer.weight.data
    layer.load_state_dict({"weight": np.ones((2, 2), np.float64), "bias": np.zeros(2)})
    assert layer.weight.data is array
    assert layer.weight.dtype == np.float32 and np.all(array == 1.0)


def test_load_state_dict_accepts_tensors_as_values():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": Tensor(np.eye(2)), "bias": Tensor([1.0, 2.0])})
    assert np.array_equal(layer.bias.data, [1.0, 2.0])


def test_strict_load_lists_missing_unexpected_and_mismatched_and_changes_nothing():
    net = Net()
    before = net.state_dict()
    bad = net.state_dict()
    del bad["head.bias"]
    bad["extra.weight"] = np.zeros(1)
    bad["first.fc.weight"] = np.zeros((3, 4))
    bad["second.scale"] = np.full(3, 7.0)  # a valid key that must not be loaded either
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys ['head.bias']" in message
    assert "unexpected keys ['extra.weight']" in message
    assert "first.fc.weight: expected shape (3, 3), got (3, 4)" in message
    assert "Nothing was loaded" in message
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_state_dict_error_is_a_runtime_error_of_the_project():
    assert issubclass(nn.StateDictError, RuntimeError) and issubclass(nn.StateDictError, AutogradError)


def test_non_strict_load_skips_and_reports_keys_but_still_refuses_shape_mismatch():
    layer = nn.Linear(2, 2)
    missing, unexpected = layer.load_state_dict({"weight": np.ones((2, 2)), "other": np.zeros(1)}, strict=False)
    assert missing == ["bias"] and unexpected == ["other"]
    assert np.all(layer.weight.data == 1.0)
    with pytest.raises(nn.StateDictError, match="weight: expected shape \\(2, 2\\), got \\(3,\\)"):
        layer.load_state_dict({"weight": np.ones(3)}, strict=False)


def test_load_state_dict_refuses_non_numeric_values():
    layer = nn.Linear(1, 1)
    with pytest.raises(nn.StateDictError, match="expected numbers"):
        layer.load_state_dict({"weight": np.array([["a"]]), "bias": np.zeros(1)})


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="dict of name -> array"):
        nn.Linear(1, 1).load_state_dict([("weight", np.zeros((1, 1)))])


def test_loading_breaks_graphs_that_saved_the_old_values():
    layer = nn.Linear(2, 1)
    y = layer(Tensor(np.ones((1, 2), np.float32)))
    layer.load_state_dict(layer.state_dict())
    with pytest.raises(ag.BackwardError, match="modified by an in-place operation"):
        y.sum().backward()


# --- printing --------------------------------------------------------------------------------------------------------
def test_repr_is_an_indented_tree_with_extra_repr():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.1)\n"
        "  )\n"
        ")")


# --- containers ------------------------------------------------------------------------------------------------------
def test_sequential_runs_in_order_and_indexes():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = Tensor(np.ones((4, 2), np.float32))
    manual = seq[2](seq[1](seq[0](x)))
    assert np.array_equal(seq(x).data, manual.data)
    assert len(seq) == 3 and seq[-1] is seq[2]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]


def test_sequential_slice_keeps_the_modules_and_their_keys():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and tail[1] is seq[2]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]
    tail.append(nn.Tanh())
    assert [n for n, _ in tail.named_children()] == ["1", "2", "3"]


def test_sequential_from_a_dict_uses_its_names():
    seq = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.ReLU()})
    assert [n for n, _ in seq.named_parameters()] == ["hidden.weight", "hidden.bias"]


def test_sequential_refuses_non_modules_and_bad_indices():
    with pytest.raises(TypeError, match="Sequential item 1: expected an nn.Module, got function"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(IndexError, match="out of range for 1"):
        nn.Sequential(nn.ReLU())[3]


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

    stack = Stack()
    assert len(list(stack.parameters())) == 6
    assert [n for n, _ in stack.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    stack.layers[1] = nn.Linear(2, 2, bias=False)
    assert len(list(stack.parameters())) == 5
    stack.layers.extend([nn.ReLU()])
    assert len(stack.layers) == 4 and isinstance(stack.layers[-1], nn.ReLU)
    assert isinstance(stack.layers[:2], nn.ModuleList) and len(stack.layers[:2]) == 2


def test_module_dict_registers_by_name():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    del heads["a"]
    assert list(heads.keys()) == ["b"]
    heads.update({"c": nn.ReLU()})
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "ReLU"]
    with pytest.raises(KeyError, match="no module 'zz'"):
        heads["zz"]
