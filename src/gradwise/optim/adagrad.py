"""Adagrad (Duchi, Hazan & Singer 2011): per-coordinate steps scaled by summed squared gradients."""
from __future__ import annotations

import numpy as np

from ..core import Tensor
from .optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad with learning-rate decay, PyTorch's formulation.

    For each parameter θ with gradient g (negated when ``maximize``), at step t = 1, 2, ...:

        g ← g + λ θ                          (weight_decay λ ≠ 0)
        γ̃ = γ / (1 + (t − 1) η)              (lr_decay η)
        s ← s + g²                           (s starts at initial_accumulator_value)
        θ ← θ − γ̃ g / (√s + ε)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate γ (default 1e-2).
        lr_decay: η (default 0).
        weight_decay: λ (default 0).
        initial_accumulator_value: starting value of s (default 0).
        eps: ε added to the denominator (default 1e-10).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``step`` (int) and ``sum`` s (Tensor), created in the constructor as
    in PyTorch. A group added later starts from its own initial_accumulator_value (PyTorch uses
    the constructor's value for such groups).
    """

    _bounds = (("lr", 0.0, None, False), ("lr_decay", 0.0, None, False),
               ("weight_decay", 0.0, None, False),
               ("initial_accumulator_value", 0.0, None, False), ("eps", 0.0, None, False))

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = 0
        state["sum"] = Tensor(np.full_like(param.array, group["initial_accumulator_value"]))

    def _update(self, param, grad, state, group):
        if not state:
            self._init_state(param, state, group)
        grad = self._begin_update(param, grad, state, group)
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"].array
        s += grad * grad
        std = np.sqrt(s) + group["eps"]
        param.array += -clr * (grad / std)
