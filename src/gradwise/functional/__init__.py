"""Functional ops: each a forward/backward NumPy pair wired to autograd by ``apply_op``."""
from . import methods as _methods
from .elementwise import (
    abs, add, clamp, clip, cos, div, divide, elu, exp, gelu, leaky_relu, log, maximum, minimum,
    mul, multiply, neg, pow, reciprocal, relu, rsqrt, sigmoid, sign, sin, softplus, sqrt, square,
    sub, subtract, tanh, true_divide, unbroadcast, where,
)
from .conv import (
    col2im, conv1d, conv2d, conv_transpose1d, conv_transpose2d, im2col,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .dropout import dropout, dropout2d
from .embedding import embedding
from .interpolate import interpolate
from .loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss,
    nll_loss,
)
from .loss_extra import (
    cosine_similarity, gaussian_nll_loss, huber_loss, kl_div, margin_ranking_loss, normalize,
    pairwise_distance, pixel_shuffle, smooth_l1_loss, triplet_margin_loss,
)
from .linalg import bilinear, bmm, einsum, linear, matmul, mm
from .gru import gru_cell, gru_sequence
from .lstm import lstm_cell, lstm_sequence
from .reduce import (
    amax, amin, argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, std, sum, var,
)
from .rnn import rnn_cell, rnn_sequence
from .normalization import batch_norm, layer_norm, local_response_norm
from .pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d,
    avg_pool2d, lp_pool1d, lp_pool2d, max_pool1d, max_pool2d,
)
from .shape import (
    cat, chunk, concat, concatenate, expand, flatten, gather, getitem, index_select,
    masked_fill, one_hot, pad, permute, repeat, reshape, split, squeeze, stack, t, transpose,
    unbind, unflatten, unsqueeze, view,
)

_methods.bind()
