"""A linear autoregression fitted by ridge regression (the ``esn`` task's baseline).

    s(t+1) = w_0 + Σ_{j=0..k-1} w_{j+1} · s(t-j),   w = argmin ‖Z w − s‖² + λ‖w‖²

with Z the rows [1, s(t), …, s(t-k+1)] of the training series: an AR(k) model, solved in closed
form by the same ``ridge_regression`` as an echo state network's readout.
"""
from __future__ import annotations

import numpy as np

from ..nn.esn import ridge_regression


class RidgeOnDelays:
    """Linear autoregression s(t+1) = w·[1, s(t), …, s(t-k+1)], fitted by ridge regression.

    Shape: series (T,) -> one-step predictions (T-k+1,); generate -> (steps,)
    """

    def __init__(self, delays: int, ridge: float):
        self.delays, self.ridge, self.weight = delays, ridge, None

    def _windows(self, s: np.ndarray) -> np.ndarray:
        k = self.delays
        if len(s) < k:
            raise ValueError(f"RidgeOnDelays: need at least {k} samples, got {len(s)}")
        cols = [s[k - 1 - j:len(s) - j] for j in range(k)]     # s(t), s(t-1), ..., s(t-k+1)
        return np.stack([np.ones(len(s) - k + 1)] + cols, axis=1)   # (T-k+1, 1+k)

    def fit(self, series: np.ndarray) -> "RidgeOnDelays":
        z = self._windows(series[:-1])                          # windows ending at t = k-1..T-2
        self.weight = ridge_regression(z, series[self.delays:, None], self.ridge)[:, 0]
        return self

    def predict(self, series: np.ndarray) -> np.ndarray:
        """Prediction of s(t+1) for every window ending at t = k-1 … T-1."""
        return self._windows(series) @ self.weight

    def generate(self, steps: int, warmup: np.ndarray) -> np.ndarray:
        """Free run after ``warmup``: each prediction becomes the newest delay."""
        window = list(warmup[-self.delays:][::-1])              # newest first
        out = []
        for _ in range(steps):
            y = self.weight[0] + float(np.dot(self.weight[1:], window))
            out.append(y)
            window = [y] + window[:-1]
        return np.array(out)


__all__ = ["RidgeOnDelays"]
