"""Adam (Kingma & Ba 2015), its AMSGrad variant, and AdamW (decoupled weight decay)."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_


class Adam(Optimizer):
    r"""Adam with bias-corrected moment estimates, PyTorch's formulation.

    For each parameter θ with gradient g (negated when ``maximize``), at step t = 1, 2, ...:

        θ ← θ (1 − γ λ)                  (decoupled_weight_decay, i.e. AdamW)
        g ← g + λ θ                      (otherwise, when λ ≠ 0: L2 penalty)
        m ← m + (1 − β₁)(g − m)          (= β₁ m + (1 − β₁) g)
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v)                    (amsgrad; v̂ replaces v below)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ε is added after the bias correction of √v, as in PyTorch (the paper's ε̂ variant).

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), decay rates of the two moment estimates (default (0.9, 0.999)).
        eps: ε, added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: use the running maximum of v (Reddi et al. 2018).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: shrink θ directly instead of adding λθ to g (AdamW).

    State per parameter: ``step`` (int), ``exp_avg`` m, ``exp_avg_sq`` v and, with amsgrad,
    ``max_exp_avg_sq`` v̂ (Tensors).
    """

    _bounds = (("lr", 0.0, None, False), ("eps", 0.0, None, False),
               ("betas", 0.0, 1.0, True), ("weight_decay", 0.0, None, False))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        grad = self._begin_update(param, grad, state, group, buffers)
        lr, eps, step = group["lr"], group["eps"], state["step"]
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        lerp_(m, grad, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"].array
            np.maximum(v_max, v, out=v_max)
            v = v_max
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param.array += -step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019): θ ← θ(1 − γλ) each step.

    Same arguments as :class:`Adam` except that ``weight_decay`` defaults to 1e-2 and is
    always decoupled.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
