"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from .optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's formulation.

    For each parameter θ with gradient g (negated when ``maximize``), per step t:

        g ← g + λ θ                                  (weight_decay λ ≠ 0)
        b ← g                                        (t = 1: the buffer starts at the gradient)
        b ← μ b + (1 − τ) g                          (t > 1; momentum μ, dampening τ)
        g ← g + μ b   if nesterov   else   g ← b     (momentum μ ≠ 0)
        θ ← θ − γ g                                  (lr γ)

    Note the buffer is initialised to the first gradient, not (1 − τ) g, and the learning rate
    multiplies the whole buffer (Sutskever et al. 2013 put γ inside the buffer instead).

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ for momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``momentum_buffer`` (Tensor, only when μ ≠ 0).
    """

    _bounds = (("lr", 0.0, None, False), ("momentum", 0.0, None, False),
               ("weight_decay", 0.0, None, False))

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp):
        super()._check_hyperparameters(hp)
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={hp['momentum']}, dampening={hp['dampening']}"
            )

    def _update(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.array
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = self._zeros_like(param)
                buf.array[...] = grad  # b_1 = g_1
            else:
                buf.array *= momentum
                buf.array += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf.array if group["nesterov"] else buf.array
        param.array -= lr * grad
