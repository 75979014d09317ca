"""nn: modules, layers, losses and training utilities built on autograd's Tensor."""
from __future__ import annotations

import autograd as _autograd

if getattr(_autograd, "PROJECT", None) != "chainrule":
    raise ImportError(
        f"nn: the `autograd` found at {getattr(_autograd, '__file__', '?')} is not chainrule's but the unrelated "
        "`autograd` package from the package index, installed in the same environment; the two cannot share one. "
        "Fix: create a fresh virtual environment and `pip install -e .` there (or `pip uninstall autograd`).")

from . import data, functional, init, scalar, utils
from .activation import GELU, Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .attention import GPT, CausalSelfAttention, GPTConfig, TransformerBlock
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .embedding import Embedding
from .linear import MLP, Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .serialization import CheckpointError, load, save
from .summary import summary


def __getattr__(name: str):
    if name == "onnx":  # nn.onnx.export: loaded on first use (it needs the optional onnx extra only when it exports)
        import importlib
        return importlib.import_module(".onnx", __name__)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
