"""gradwise: convolutional and recurrent networks on NumPy, every equation readable and verified.

    import gradwise as gw

The top-level namespace also carries PyTorch's names (``device``, ``cuda``, ``backends``,
``utils.data``, dtype aliases, factories), so a CPU PyTorch program runs after
``import gradwise as torch``; docs/torch_compat.md lists what is covered.
"""
import sys as _sys

from . import autograd, data, functional, models, nn, optim, signal, utils
from .core import (
    Tensor, empty_cache, enable_grad, from_numpy, get_default_dtype, get_num_threads, get_rng_state,
    is_grad_enabled, keep_freed_memory, manual_seed, no_grad, set_default_dtype, set_grad_enabled,
    set_num_threads, set_rng_state, tensor,
)
from .core import accelerator, backends, cuda
from .core.device import DeviceError, device
from .core.dtype import (
    bool_, double, float16, float32, float64, half, int32, int64, long, uint8,
)
from .core.factories import LEGACY_CONSTRUCTORS as _LEGACY
from .core.factories import (
    Generator, arange, as_tensor, bernoulli, empty, empty_like, eye, full, full_like, is_tensor,
    linspace, multinomial, normal, numel, ones, ones_like, rand, rand_like, randint, randint_like,
    randn, randn_like, randperm, zeros, zeros_like,
)
from .functional import (
    abs, amax, amin, argmax, argmin, cat, chunk, clamp, clip, concat, cos, einsum, exp, flatten,
    gather, log, log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, permute,
    reshape, sigmoid, sin, softmax, split, sqrt, squeeze, stack, std, sum, tanh, transpose,
    unsqueeze, var, where,
)
from .functional import distributions as _distributions
from .functional.elementwise import add, div, mul, neg, pow, reciprocal, relu, rsqrt, sign, sub
from .functional.index import (
    flip, index_add, index_fill, masked_select, narrow, nonzero, roll, scatter, scatter_add,
    tril, triu,
)
from .functional.linalg import bmm, mm
from .functional.method_aliases import (
    allclose, bincount, count_nonzero, dot, equal, isclose, movedim, mv, outer, ravel, select,
    trace, unique,
)
from .functional.method_aliases import METHODS as _ALIASES
from .functional.pointwise import (
    acos, addcdiv, addcmul, asin, atan, ceil, clamp_max, clamp_min, cosh, erf, exp2, expm1,
    floor, floor_divide, fmod, isfinite, isinf, isnan, lerp, log1p, log2, log10, logical_and,
    logical_not, logical_or, logical_xor, nan_to_num, remainder, round, sinh, tan, trunc,
)
from .functional.shape import expand, index_select, masked_fill, one_hot, repeat, t
from .functional.sort import all, any, argsort, cumsum, prod, sort, topk
from .functional.tensor_api import clone
from .functional.vector_norm import norm
from .nn import modules as _nn_modules  # gradwise.nn.modules.rnn.LSTM, as torch.nn.modules

# PyTorch's dtype names; ``float``, ``int`` and ``bool`` shadow the builtins only as
# attributes of this package (gradwise.float is float32, as torch.float)
import numpy as _np  # noqa: E402

float, int, bool = float32, int32, bool_  # noqa: A001
int8, int16, short = _np.dtype(_np.int8), _np.dtype(_np.int16), _np.dtype(_np.int16)
dtype = _np.dtype  # isinstance(x.dtype, gradwise.dtype)
eq, ne, lt, le, gt, ge = Tensor.eq, Tensor.ne, Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge


globals().update(_LEGACY)  # FloatTensor, LongTensor, ...
moveaxis, inner, ger, tile, broadcast_to = movedim, dot, outer, _ALIASES["tile"], \
    _ALIASES["broadcast_to"]
swapaxes = swapdims = _ALIASES["swapaxes"]
multiply, subtract, divide, true_divide, negative, absolute = (
    _ALIASES[n] for n in ("multiply", "subtract", "divide", "true_divide", "negative", "absolute"))
fliplr, flipud, take_along_dim = _ALIASES["fliplr"], _ALIASES["flipud"], _ALIASES["take_along_dim"]


def _alias_module(name, module):
    """Make ``import gradwise.<name>`` find ``module`` (PyTorch's import paths)."""
    _sys.modules[f"{__name__}.{name}"] = module


# torch.utils.data -> gradwise.data (also its torch submodule names), torch.cuda, torch.backends
utils.data = data
_alias_module("utils.data", data)
for _torch_name, _ours in (("dataset", data.dataset), ("dataloader", data.loader),
                           ("sampler", data.sampler)):
    setattr(data, _torch_name, _ours)
    _alias_module(f"utils.data.{_torch_name}", _ours)
distributions = _distributions
_distributions.kl = _distributions  # torch.distributions.kl.kl_divergence
for _name, _module in (("distributions", _distributions), ("distributions.kl", _distributions),
                       ("accelerator", accelerator), ("cuda", cuda), ("backends", backends),
                       ("backends.cudnn", backends.cudnn), ("backends.mps", backends.mps)):
    _alias_module(_name, _module)
from .serialization import load, save
from . import multiprocessing  # noqa: E402 (torch.multiprocessing)

__version__ = "0.1.0"
