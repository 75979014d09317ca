"""nn.functional (imported as F): every layer's and loss's maths as a function of Tensors, and the fused ops
(autograd Functions) they apply. One module per family; shared helpers in common.py and windows.py:

    activation.py     relu, sigmoid, tanh, leaky_relu, gelu, softmax, log_softmax, dropout
    linear.py         linear, pad
    conv.py           conv2d
    pooling.py        max_pool2d, avg_pool2d
    normalization.py  batch_norm, layer_norm
    embedding.py      embedding
    loss.py           cross_entropy, nll_loss (and the checks every loss shares)
    elementwise_loss.py  mse_loss, l1_loss, binary_cross_entropy(_with_logits), hinge_loss

These modules import nothing from nn but nn.init; the layers (nn/*.py) call them, never the reverse.
"""
from __future__ import annotations

from .activation import (GELU, Dropout, GELUTanh, LeakyReLU, LogSoftmax, NormalCDF, Softmax, dropout, erf, gelu,
                         leaky_relu, log_softmax, normal_cdf, relu, sigmoid, softmax, tanh)
from .common import as_tensor
from .conv import Convolution, ConvolutionWeightGrad, TransposedConvolution, conv2d
from .embedding import embedding
from .linear import Linear, linear, pad
from .elementwise_loss import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, binary_cross_entropy,
                               binary_cross_entropy_with_logits, hinge_loss, l1_loss, mse_loss)
from .loss import CrossEntropy, cross_entropy, nll_loss
from .normalization import LayerNorm, batch_norm, layer_norm
from .pooling import AvgPool, AvgPoolTranspose, MaxPool, avg_pool2d, max_pool2d
