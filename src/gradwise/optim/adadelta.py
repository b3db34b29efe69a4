"""Adadelta (Zeiler 2012): unit-consistent steps from running averages of g² and Δθ²."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's formulation (Kim 2014 trains TextCNN with it, rho 0.95).

    For each parameter θ with gradient g (negated when ``maximize``), per step:

        g ← g + λ θ                              (weight_decay λ ≠ 0)
        v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε) / √(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − γ Δ

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: γ, scales Δ before it is applied (default 1.0, Zeiler's original rule).
        rho: ρ, decay of both running averages (default 0.9).
        eps: ε inside the square roots (default 1e-6).
        weight_decay: λ (default 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``step`` (int), ``square_avg`` v, ``acc_delta`` u (Tensors).
    """

    _bounds = (("lr", 0.0, None, False), ("rho", 0.0, 1.0, False), ("eps", 0.0, None, False),
               ("weight_decay", 0.0, None, False))

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        grad = self._begin_update(param, grad, state, group, ("square_avg", "acc_delta"))
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"].array, state["acc_delta"].array
        v *= rho
        v += (1 - rho) * grad * grad
        std = np.sqrt(v + eps)
        delta = np.sqrt(u + eps) / std * grad
        u *= rho
        u += (1 - rho) * delta * delta
        param.array += -group["lr"] * delta
