"""Loss modules: MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss and HingeLoss hold their
settings (reduction, ignore_index, ...) and call the loss functions of nn.functional (loss.py, elementwise_loss.py)."""
from __future__ import annotations

from typing import Any

from autograd import Tensor

from . import functional as F
from .functional.loss import check_reduction
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error (see `mse_loss`). Shape: input and target alike; output scalar (or the input's shape)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (see `l1_loss`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices (see `cross_entropy`).

    Shape: input (N, C) or (N, C, d1, ...), target (N,) or (N, d1, ...); output scalar (or the target's shape).
    """

    def __init__(self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.ignore_index, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities against class indices (see `nll_loss`)."""

    def __init__(self, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (see `binary_cross_entropy`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, computed stably (see `binary_cross_entropy_with_logits`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


class HingeLoss(_Loss):
    """Max-margin loss mean(relu(margin - y * score)) with labels +1/-1 (see `hinge_loss`)."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.hinge_loss(input, target, self.margin, self.reduction)
