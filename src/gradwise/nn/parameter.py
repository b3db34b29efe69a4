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
