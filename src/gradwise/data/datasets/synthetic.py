"""Embedded data that needs no download: the synthetic tasks of the lecture notes, and a real
text corpus present on every Python install (the standard library's own source code).

Every generator takes ``rng``: a np.random.Generator, an int seed, or None for the library RNG
(``gradwise.manual_seed``).
"""
from __future__ import annotations

import os
import pathlib
import sysconfig

import numpy as np

from ...core.random import default_generator
from ..dataset import as_generator


def _rng(rng) -> np.random.Generator:
    gen = as_generator(rng)
    return default_generator() if gen is None else gen


def adding_problem(num_samples: int, seq_len: int, rng=None, dtype=np.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly & Hinton 2015).

    Each sequence has two input channels: values ``v_t ~ U(0, 1)`` and markers ``m_t`` with
    exactly two ones, the first at a uniform position in the first half ``[0, T//2)`` and the
    second in the second half ``[T//2, T)``. The target is ``sum_t m_t v_t``. Always predicting
    1.0 gives MSE ``Var(v_a + v_b) = 2/12 = 1/6 ≈ 0.1667`` (Le et al. quote 0.1767 for it).

    Shape: x (T, N, 2) with x[..., 0] = values and x[..., 1] = markers; y (N, 1).
    """
    if seq_len < 2 or num_samples < 1:
        raise ValueError(f"adding_problem: need seq_len >= 2 and num_samples >= 1, got {seq_len}, {num_samples}")
    gen = _rng(rng)
    half = seq_len // 2
    values = gen.random((seq_len, num_samples))                          # (T, N)
    first = gen.integers(0, half, size=num_samples)
    second = gen.integers(half, seq_len, size=num_samples)
    markers = np.zeros((seq_len, num_samples))                           # (T, N)
    cols = np.arange(num_samples)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    x = np.stack([values, markers], axis=-1).astype(dtype)               # (T, N, 2)
    y = (values[first, cols] + values[second, cols])[:, None].astype(dtype)  # (N, 1)
    return x, y


def copy_task(num_samples: int, delay: int, seq_len: int = 10, num_symbols: int = 8, rng=None):
    """The copying memory task (Hochreiter & Schmidhuber 1997; the form of Arjovsky et al. 2016).

    Input: ``seq_len`` symbols drawn from ``1..num_symbols``, then ``delay - 1`` blanks (0), a
    delimiter (``num_symbols + 1``), and ``seq_len`` more blanks. Target: ``delay + seq_len``
    blanks, then the symbols again. A vocabulary of ``num_symbols + 2`` ids; the memoryless
    baseline (blanks, then uniform guesses) has cross-entropy ``copy_task_baseline(...)``.

    Shape: x, y int64 (delay + 2 * seq_len, N).
    """
    if delay < 1 or seq_len < 1 or num_symbols < 1 or num_samples < 1:
        raise ValueError(
            f"copy_task: need delay, seq_len, num_symbols, num_samples >= 1, got "
            f"{delay}, {seq_len}, {num_symbols}, {num_samples}"
        )
    gen = _rng(rng)
    total = delay + 2 * seq_len
    symbols = gen.integers(1, num_symbols + 1, size=(seq_len, num_samples))  # (S, N)
    x = np.zeros((total, num_samples), dtype=np.int64)
    y = np.zeros((total, num_samples), dtype=np.int64)
    x[:seq_len] = symbols
    x[seq_len + delay - 1] = num_symbols + 1
    y[delay + seq_len:] = symbols
    return x, y


def copy_task_baseline(delay: int, seq_len: int = 10, num_symbols: int = 8) -> float:
    """Mean cross-entropy per step of the memoryless strategy: seq_len·log(num_symbols)/T."""
    return seq_len * float(np.log(num_symbols)) / (delay + 2 * seq_len)


def mackey_glass(length: int, tau: float = 17, beta=0.2, gamma=0.1, n=10, x0=1.2, dt=0.1,
                 subsample: int = 10, discard: int = 0, dtype=np.float64) -> np.ndarray:
    """The Mackey-Glass delay differential equation, the classic echo-state-network benchmark.

    ``dx/dt = beta·x(t-tau) / (1 + x(t-tau)^n) - gamma·x(t)``, integrated with the usual
    forward-Euler discretisation ``x(t+dt) = x(t) + dt·(...)``, step ``dt = 0.1``,
    constant history ``x = x0`` for t <= 0, then every ``subsample``-th value kept (one sample per
    time unit by default). With tau = 17 the attractor is chaotic and stays within about
    [0.2, 1.4].

    Args:
        length: number of samples returned (after ``discard`` samples of transient).

    Shape: (length,).
    """
    if length < 1 or subsample < 1 or dt <= 0 or tau < 0:
        raise ValueError(f"mackey_glass: invalid length {length}, subsample {subsample}, dt {dt} or tau {tau}")
    lag = int(round(tau / dt))
    steps = (length + discard) * subsample
    x = np.empty(steps + lag + 1)
    x[: lag + 1] = x0                                   # history on [-tau, 0]
    for t in range(lag, lag + steps):
        delayed = x[t - lag]
        x[t + 1] = x[t] + dt * (beta * delayed / (1.0 + delayed ** n) - gamma * x[t])
    series = x[lag + subsample::subsample]              # samples at t = subsample·dt, 2·subsample·dt, ...
    return series[discard:discard + length].astype(dtype)


def narma10(length: int, rng=None, discard: int = 100):
    """NARMA-10 (Atiya & Parlos 2000), the standard reservoir-computing memory benchmark.

    ``y(t+1) = 0.3·y(t) + 0.05·y(t)·sum_{i=0..9} y(t-i) + 1.5·u(t-9)·u(t) + 0.1`` with inputs
    ``u(t) ~ U(0, 0.5)``; the first ``discard`` steps (transient from y = 0) are dropped.

    Returns:
        u (length,), y (length,): y[t] is the output after seeing u[..t-1]; a model predicts y[t+1]
        from u[..t].
    """
    if length < 1:
        raise ValueError(f"narma10: length should be >= 1, got {length}")
    gen = _rng(rng)
    total = length + discard
    u = gen.uniform(0.0, 0.5, size=total)
    y = np.zeros(total)
    for t in range(9, total - 1):
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * y[t - 9:t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
    return u[discard:], y[discard:]


def sine_series(length: int, period: float = 25.0, amplitude=1.0, phase=0.0, noise_std=0.0, rng=None):
    """``amplitude·sin(2πt/period + phase) + noise``, t = 0..length-1. Shape: (length,)."""
    t = np.arange(length)
    series = amplitude * np.sin(2 * np.pi * t / period + phase)
    if noise_std > 0:
        series = series + _rng(rng).normal(0.0, noise_std, size=length)
    return series


def ar_series(length: int, coeffs=(0.6, -0.2), intercept=0.0, noise_std=0.1, rng=None, burn_in: int = 100):
    """An autoregressive AR(K) series ``y_t = w_0 + sum_k w_k·y_{t-k} + eps_t``, eps ~ N(0, σ²).

    Args:
        coeffs: (w_1, ..., w_K); keep the process stationary (roots outside the unit circle).
        burn_in: steps from y = 0 discarded so the series starts in its stationary regime.

    Shape: (length,).
    """
    coeffs = np.asarray(coeffs, dtype=np.float64)
    k = len(coeffs)
    gen = _rng(rng)
    total = length + burn_in + k
    eps = gen.normal(0.0, noise_std, size=total)
    y = np.zeros(total)
    for t in range(k, total):
        y[t] = intercept + coeffs @ y[t - k:t][::-1] + eps[t]  # y[t-1], ..., y[t-K]
    return y[k + burn_in:]


def narx_series(length: int, input_kind: str = "sine", rng=None):
    """A nonlinear plant with exogenous input, for NARX models (Narendra & Parthasarathy 1990):

    ``y(k+1) = y(k)·y(k-1)·(y(k) + 2.5) / (1 + y(k)² + y(k-1)²) + u(k)``,
    with ``u(k) = sin(2πk/25)`` (``input_kind="sine"``) or ``u(k) ~ U(-2, 2)`` (``"random"``).

    Returns:
        u (length,), y (length,).
    """
    if input_kind == "sine":
        u = np.sin(2 * np.pi * np.arange(length) / 25)
    elif input_kind == "random":
        u = _rng(rng).uniform(-2.0, 2.0, size=length)
    else:
        raise ValueError(f"narx_series: input_kind should be 'sine' or 'random', got {input_kind!r}")
    y = np.zeros(length)
    for k in range(1, length - 1):
        y[k + 1] = y[k] * y[k - 1] * (y[k] + 2.5) / (1 + y[k] ** 2 + y[k - 1] ** 2) + u[k]
    return u, y


def narx_regressors(x, y, kx: int, ky: int):
    """Regressors of the NARX model ``y_t = f(x_t, ..., x_{t-Kx}, y_{t-1}, ..., y_{t-Ky})``.

    Returns:
        features (M, kx + 1 + ky) = [x_t, ..., x_{t-kx}, y_{t-1}, ..., y_{t-ky}] and targets
        (M,) = y_t, for t = max(kx, ky), ..., T-1 (M = T - max(kx, ky)).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"narx_regressors: expected x and y of the same 1-D shape, got {x.shape} and {y.shape}")
    start = max(kx, ky)
    if len(y) <= start:
        raise ValueError(f"narx_regressors: need more than max(kx, ky) = {start} samples, got {len(y)}")
    t = np.arange(start, len(y))
    xs = [x[t - i] for i in range(kx + 1)]
    ys = [y[t - i] for i in range(1, ky + 1)]
    return np.stack(xs + ys, axis=1), y[t]


def stdlib_corpus(max_chars: int = 1_000_000, include_tests: bool = False) -> str:
    """Python source text from the standard library of the running interpreter.

    The ``.py`` files under ``sysconfig.get_paths()["stdlib"]`` are read in sorted order of their
    relative paths (skipping site-packages, ``__pycache__`` and, unless ``include_tests``, test
    folders), joined with a blank line, and cut at ``max_chars`` characters. The result is
    deterministic for a given Python version, like the lecture notes' "generate Linux kernel
    code" example but present on every install.
    """
    if max_chars < 1:
        raise ValueError(f"stdlib_corpus: max_chars should be >= 1, got {max_chars}")
    base = pathlib.Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "dist-packages", "__pycache__"}
    if not include_tests:
        skip |= {"test", "tests", "idle_test"}
    files = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if d not in skip]  # prune: site-packages can be huge
        rel = pathlib.Path(dirpath).relative_to(base)
        files.extend((rel / f).as_posix() for f in filenames if f.endswith(".py"))
    files.sort()
    if not files:
        raise FileNotFoundError(f"stdlib_corpus: no .py files under {base}")
    parts, size = [], 0
    for path in files:
        text = (base / path).read_bytes().decode("utf-8", errors="replace")
        parts.append(text)
        size += len(text) + 2
        if size >= max_chars:
            break
    return "\n\n".join(parts)[:max_chars]
