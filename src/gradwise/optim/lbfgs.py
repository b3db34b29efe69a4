"""L-BFGS (Nocedal 1980; Liu & Nocedal 1989) as ``torch.optim.LBFGS`` runs it, without a line
search: every ``step(closure)`` makes up to ``max_iter`` quasi-Newton iterations.

All parameters are flattened into one vector θ with gradient g. Iteration k keeps the last
``history_size`` pairs s_i = θ_{i+1} − θ_i, y_i = g_{i+1} − g_i (only those with yᵀs > 1e-10)
and computes the direction d = −H g by the two-loop recursion:

    q ← −g;  for i newest→oldest:  α_i = ρ_i s_iᵀq,  q ← q − α_i y_i      (ρ_i = 1/(y_iᵀs_i))
    r ← γ q,  γ = yᵀs / yᵀy of the newest pair
    for i oldest→newest:  β = ρ_i y_iᵀr,  r ← r + (α_i − β) s_i;   d = r

then θ ← θ + t d with t = lr (on the very first iteration t = min(1, 1/‖g‖₁)·lr).
It stops early when max|g| ≤ tolerance_grad, when gᵀd > −tolerance_change, when the step or
the loss change falls under tolerance_change, or after ``max_eval`` closure calls.

Differs from PyTorch: ``line_search_fn="strong_wolfe"`` is not implemented (it raises).
"""
from __future__ import annotations

import numpy as np

from ..core import enable_grad, no_grad
from .optimizer import Optimizer


class LBFGS(Optimizer):
    """Args: params; lr (default 1); max_iter per step (20); max_eval (max_iter·5/4);
    tolerance_grad (1e-7); tolerance_change (1e-9); history_size (100); line_search_fn (None).

    State (on the first parameter, as PyTorch): ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``.
    """

    _bounds = (("lr", 0.0, None, False),)

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn is not None:
            raise NotImplementedError(f"LBFGS: line_search_fn={line_search_fn!r} is not "
                                      f"implemented; use line_search_fn=None")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return np.concatenate([
            np.zeros(p.array.size, p.dtype) if p.grad is None else p.grad.array.reshape(-1)
            for p in self._params])

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array += (step_size * update[offset:offset + n]).reshape(p.shape).astype(p.dtype)
            p._counter.bump()  # an in-place edit: graphs that saved p refuse backward
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            return closure()

    def step(self, closure):
        """Run up to ``max_iter`` iterations; ``closure`` re-evaluates and returns the loss.

        Returns the loss of the first closure call (PyTorch's ``orig_loss``).
        """
        if closure is None:
            raise RuntimeError("LBFGS.step: a closure that re-evaluates the loss is required")
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y @ s
                if ys > 1e-10:  # keep only pairs with positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    H_diag = ys / (y @ y)  # γ = yᵀs / yᵀy
                al = [None] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = (old_stps[i] @ q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = (old_dirs[i] @ r) * ro[i]
                    r = r + (al[i] - be_i) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad @ d  # directional derivative
            if gtd > -tol_change:
                break
            self._add_grad(t, d)
            ls_func_evals = 0
            if n_iter != max_iter:
                loss = float(self._evaluate(closure))
                flat_grad = self._flat_grad()
                ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval:
                break
            if np.abs(flat_grad).max() <= tol_grad:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
