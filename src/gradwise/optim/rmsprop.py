"""RMSprop (Hinton's lecture 6e), with optional momentum and the centered variant (Graves 2013)."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's formulation.

    For each parameter θ with gradient g (negated when ``maximize``), per step:

        g ← g + λ θ                                  (weight_decay λ ≠ 0)
        v ← α v + (1 − α) g²
        ḡ ← ḡ + (1 − α)(g − ḡ),  v' = v − ḡ²         (centered; otherwise v' = v)
        d = √v' + ε                                  (ε outside the square root)
        b ← μ b + g / d,  θ ← θ − γ b                (momentum μ > 0)
        θ ← θ − γ g / d                              (μ = 0)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate γ (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        momentum: μ (default 0).
        centered: normalise by the estimated variance of the gradient instead of its second
            moment.
        maximize: ascend the objective instead of descending it.

    State per parameter: ``step`` (int), ``square_avg`` v, ``momentum_buffer`` b (μ > 0),
    ``grad_avg`` ḡ (centered).
    """

    _bounds = (("lr", 0.0, None, False), ("eps", 0.0, None, False),
               ("momentum", 0.0, None, False), ("weight_decay", 0.0, None, False),
               ("alpha", 0.0, None, False))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        buffers = (("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
                   + (("grad_avg",) if group["centered"] else ()))
        grad = self._begin_update(param, grad, state, group, buffers)
        v = state["square_avg"].array
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            g_avg = lerp_(state["grad_avg"].array, grad, 1 - alpha)
            avg = np.sqrt(v - g_avg * g_avg)
        else:
            avg = np.sqrt(v)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"].array
            buf *= momentum
            buf += grad / avg
            param.array -= group["lr"] * buf
        else:
            param.array += -group["lr"] * (grad / avg)
