"""Parameter: a leaf Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ..core.dtype import get_default_dtype
from ..core.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute registers it.

    Args:
        data: array, Tensor or nested sequence; a Tensor's (or ndarray's) memory is shared, as
            ``torch.nn.Parameter`` shares storage. ``None`` gives an empty tensor of the default
            dtype.
        requires_grad: True by default, like PyTorch.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), get_default_dtype())
        elif isinstance(data, Tensor):
            data = data.array
        elif not isinstance(data, np.ndarray):
            data = np.asarray(data)
            if data.dtype.kind == "f":
                data = data.astype(get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (self.array, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.array.copy(), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor(self.grad.array.copy())
        memo[id(self)] = out
        return out


def add_weight_and_bias(module, weight_shape, bias_size, dtype=None):
    """Register an empty ``weight`` of ``weight_shape`` and an empty ``bias`` of ``(bias_size,)``
    on ``module`` (``bias_size=None`` registers ``bias`` as None, PyTorch's ``bias=False``), in
    ``dtype`` (None: the default dtype). The module's ``reset_parameters`` fills them."""
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    module.weight = Parameter(np.empty(tuple(weight_shape), dtype))
    if bias_size is None:
        module.register_parameter("bias", None)
    else:
        module.bias = Parameter(np.empty((bias_size,), dtype))

