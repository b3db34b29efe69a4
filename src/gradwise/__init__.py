"""gradwise: convolutional and recurrent networks on NumPy, every equation readable and verified.

    import gradwise as gw
"""
from . import autograd, data, functional, models, nn, optim, signal, utils
from .core import (
    Tensor, empty_cache, enable_grad, from_numpy, get_default_dtype, get_num_threads, get_rng_state,
    is_grad_enabled, keep_freed_memory, manual_seed, no_grad, set_default_dtype, set_grad_enabled,
    set_num_threads, set_rng_state, tensor,
)
from .core.dtype import (
    bool_, double, float16, float32, float64, half, int32, int64, long, uint8,
)
from .core.random import (
    arange, empty, eye, full, linspace, ones, ones_like, rand, randint, randn, randperm, zeros,
    zeros_like,
)
from .functional import (
    abs, amax, amin, argmax, argmin, cat, chunk, clamp, clip, concat, cos, einsum, exp, flatten,
    gather, log, log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, permute,
    reshape, sigmoid, sin, softmax, split, sqrt, squeeze, stack, std, sum, tanh, transpose,
    unsqueeze, var, where,
)
from .serialization import load, save

__version__ = "0.1.0"
