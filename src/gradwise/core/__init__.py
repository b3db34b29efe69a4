"""Core: the Tensor, the autograd engine, dtypes, the library RNG, threads and the allocator."""
from . import autograd
from .autograd import apply_op, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .dtype import get_default_dtype, set_default_dtype
from .random import default_generator, get_rng_state, manual_seed, set_rng_state
from .memory import empty_cache, keep_freed_memory
from .tensor import Tensor, as_array, from_numpy, tensor
from .threads import get_num_threads, set_num_threads
