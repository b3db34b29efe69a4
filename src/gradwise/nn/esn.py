"""Echo state network: a fixed random reservoir and a linear readout fitted in closed form.

Seed 002, "Solution 1: Echo state networks" (Jaeger 2001/2010): the recurrent and input weights
are hard to learn, so they are not learned. A sparse random reservoir scaled to a spectral
radius close to 1 is driven by the input; only the readout is trained, by linear regression,
"equivalent to training a perceptron".

Reservoir update with leaky-integrator neurons (Lukoševičius, "A Practical Guide to Applying
Echo State Networks", 2012, eqs. 2–3):

    x̃(t) = tanh(W_in u(t) + b + W x(t−1))
    x(t)  = (1 − a) x(t−1) + a x̃(t)                      a = leak_rate ∈ (0, 1]

Readout on the extended state z(t) = [1; u(t); x(t)]:

    y(t) = W_out z(t)

Ridge regression on the states after a washout of the initial transient (rows of Z are z(t)ᵀ,
rows of Y the targets):

    W_outᵀ = (ZᵀZ + λI)⁻¹ ZᵀY

The reservoir matrix W has exactly round((1 − sparsity)·R²) non-zero entries ~ U(−1, 1) at random
positions and is then scaled so that its spectral radius max|eig(W)| equals ``spectral_radius``
(computed with ``np.linalg.eigvals``: power iteration converges poorly on non-symmetric matrices,
whose dominant eigenvalues come in complex-conjugate pairs of equal modulus).
"""
from __future__ import annotations

import numpy as np

from ..core.dtype import get_default_dtype
from ..core.random import default_generator
from ..core.tensor import Tensor
from .module import Module
from ..core.checks import check_positive_int


def spectral_radius(w: np.ndarray) -> float:
    """max |λ| over the eigenvalues λ of a square matrix."""
    w = np.asarray(w)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"spectral_radius: expected a square matrix, got shape {w.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(w.astype(np.float64)))))


def sparse_reservoir(size: int, spectral_radius_: float, sparsity: float,
                     rng: np.random.Generator) -> np.ndarray:
    """A (size, size) matrix with round((1 − sparsity)·size²) non-zeros, scaled to the radius.

    Raises ValueError if the random pattern is nilpotent (all eigenvalues 0), which happens
    for very sparse small reservoirs; use a lower sparsity or another seed then.
    """
    nnz = int(round((1.0 - sparsity) * size * size))
    if nnz == 0:
        raise ValueError(f"sparse_reservoir: sparsity {sparsity} leaves no non-zero weight "
                         f"in a {size}×{size} reservoir")
    w = np.zeros(size * size)
    pos = rng.choice(size * size, size=nnz, replace=False)
    w[pos] = rng.uniform(-1.0, 1.0, size=nnz)
    w = w.reshape(size, size)
    rho = spectral_radius(w)
    if rho < 1e-12:
        raise ValueError(
            f"sparse_reservoir: the random {size}×{size} pattern with {nnz} non-zeros is nilpotent "
            f"(spectral radius 0) and cannot be scaled; lower the sparsity or change the seed"
        )
    return w * (spectral_radius_ / rho)


class EchoStateNetwork(Module):
    """Echo state network with a leaky reservoir and a ridge-regression readout.

    Args:
        input_size, reservoir_size, output_size: sizes I, R, O of u(t), x(t), y(t).
        spectral_radius: max|eig(W)| of the reservoir (< 1 usually gives the echo state property).
        sparsity: fraction of zero entries of W, in [0, 1).
        leak_rate: a in (0, 1]; 1 is the plain (non-leaky) reservoir.
        input_scaling: W_in ~ U(−input_scaling, input_scaling).
        bias_scaling: b ~ U(−bias_scaling, bias_scaling).
        ridge: λ of the readout regression.
        washout: number of initial steps whose states are not used for fitting.
        generator: np.random.Generator for the reservoir (default: the library RNG).
        dtype: dtype of the buffers and states (default: the default dtype).

    Shape:
        input (T, N, I) or (T, I) -> output (T, N, O) or (T, O)

    Buffers (saved in ``state_dict``): weight_in (R, I), bias_in (R,), weight_res (R, R),
    weight_out (O, 1 + I + R). There are no gradient-trained parameters.
    """

    def __init__(self, input_size: int, reservoir_size: int, output_size: int,
                 spectral_radius: float = 0.9, sparsity: float = 0.9, leak_rate: float = 1.0,
                 input_scaling: float = 1.0, bias_scaling: float = 0.0, ridge: float = 1e-6,
                 washout: int = 100, generator: np.random.Generator | None = None, dtype=None):
        super().__init__()
        check_positive_int("EchoStateNetwork", input_size=input_size,
                           reservoir_size=reservoir_size, output_size=output_size)
        checks = [
            (spectral_radius > 0, f"spectral_radius must be > 0, got {spectral_radius}"),
            (0.0 <= sparsity < 1.0, f"sparsity must be in [0, 1), got {sparsity}"),
            (0.0 < leak_rate <= 1.0, f"leak_rate must be in (0, 1], got {leak_rate}"),
            (input_scaling >= 0 and bias_scaling >= 0,
             f"input_scaling and bias_scaling must be ≥ 0, got {input_scaling}, {bias_scaling}"),
            (ridge >= 0, f"ridge must be ≥ 0, got {ridge}"),
            (isinstance(washout, (int, np.integer)) and washout >= 0,
             f"washout must be an int ≥ 0, got {washout!r}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(f"EchoStateNetwork: {msg}")
        self.input_size, self.reservoir_size, self.output_size = input_size, reservoir_size, output_size
        self.spectral_radius, self.sparsity = float(spectral_radius), float(sparsity)
        self.leak_rate, self.input_scaling = float(leak_rate), float(input_scaling)
        self.bias_scaling, self.ridge, self.washout = float(bias_scaling), float(ridge), int(washout)
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        rng = generator if generator is not None else default_generator()
        w = sparse_reservoir(reservoir_size, spectral_radius, sparsity, rng)
        w_in = rng.uniform(-input_scaling, input_scaling, size=(reservoir_size, input_size))
        b = rng.uniform(-bias_scaling, bias_scaling, size=reservoir_size)
        self.register_buffer("weight_in", Tensor(w_in.astype(dtype)))
        self.register_buffer("bias_in", Tensor(b.astype(dtype)))
        self.register_buffer("weight_res", Tensor(w.astype(dtype)))
        self.register_buffer("weight_out",
                             Tensor(np.zeros((output_size, 1 + input_size + reservoir_size), dtype)))
        self.fitted = False
        self.last_state = None  # x(T) of the last run, (N, R)

    # -- reservoir ---------------------------------------------------------------------------
    def _as_3d(self, u):
        u = u.array if isinstance(u, Tensor) else np.asarray(u)
        if u.ndim not in (2, 3) or u.shape[-1] != self.input_size or u.shape[0] == 0:
            raise ValueError(
                f"EchoStateNetwork: expected input (T, N, {self.input_size}) or "
                f"(T, {self.input_size}), got {u.shape}"
            )
        single = u.ndim == 2
        u = u[:, None, :] if single else u
        return u.astype(self.weight_res.dtype, copy=False), single

    def _check_x0(self, x0, n):
        if x0 is None:
            return np.zeros((n, self.reservoir_size), self.weight_res.dtype)
        x0 = x0.array if isinstance(x0, Tensor) else np.asarray(x0)
        x0 = x0[None] if x0.ndim == 1 else x0
        if x0.shape != (n, self.reservoir_size):
            raise ValueError(
                f"EchoStateNetwork: expected initial state ({n}, {self.reservoir_size}), "
                f"got {x0.shape}"
            )
        return x0.astype(self.weight_res.dtype)

    def _step(self, ub, x):
        """One reservoir update from the projected input ub = W_in u + b."""
        cand = np.tanh(ub + x @ self.weight_res.array.T)
        return (1.0 - self.leak_rate) * x + self.leak_rate * cand

    def states(self, input, x0=None) -> np.ndarray:
        """Reservoir states x(1..T) for an input sequence.

        Shape: input (T, N, I) or (T, I), x0 (N, R) or None -> states (T, N, R) or (T, R)
        """
        u, single = self._as_3d(input)
        x = self._check_x0(x0, u.shape[1])
        ub = u @ self.weight_in.array.T + self.bias_in.array  # all steps at once (T, N, R)
        xs = np.empty(ub.shape, ub.dtype)
        for t in range(u.shape[0]):
            x = self._step(ub[t], x)
            xs[t] = x
        self.last_state = x
        return xs[:, 0] if single else xs

    def _features(self, u, xs):
        ones = np.ones(xs.shape[:-1] + (1,), xs.dtype)
        return np.concatenate([ones, u, xs], axis=-1)  # z(t) = [1; u(t); x(t)]

    # -- readout -----------------------------------------------------------------------------
    def fit(self, input, target, x0=None, washout: int | None = None, ridge: float | None = None):
        """Fit W_out by ridge regression on the states after the washout; returns self.

        Shape: input (T, N, I) or (T, I), target (T, N, O) or (T, O)
        """
        washout = self.washout if washout is None else int(washout)
        ridge = self.ridge if ridge is None else float(ridge)
        u, single = self._as_3d(input)
        y = target.array if isinstance(target, Tensor) else np.asarray(target)
        y = y[:, None, :] if single and y.ndim == 2 else y
        if y.shape != u.shape[:2] + (self.output_size,):
            raise ValueError(
                f"EchoStateNetwork: expected target {u.shape[:2] + (self.output_size,)} to match "
                f"the input's (T, N), got {np.shape(target)}"
            )
        if washout >= u.shape[0]:
            raise ValueError(f"EchoStateNetwork: washout {washout} leaves no step of the "
                             f"{u.shape[0]}-step input for fitting")
        xs = self.states(u, x0)
        z = self._features(u, xs)[washout:].reshape(-1, 1 + self.input_size + self.reservoir_size)
        yy = y[washout:].reshape(-1, self.output_size)
        self.weight_out.array[...] = ridge_regression(z, yy, ridge).T
        self.fitted = True
        return self

    def forward(self, input, x0=None):
        """Readout over an input sequence (teacher-driven, one-step predictions)."""
        if not self.fitted:
            raise RuntimeError("EchoStateNetwork: call fit() before forward()")
        u, single = self._as_3d(input)
        xs = self.states(u, x0)
        y = self._features(u, xs) @ self.weight_out.array.T  # (T, N, O)
        return Tensor(y[:, 0] if single else y)

    def generate(self, steps: int, warmup, x0=None):
        """Free-running (generative) mode: drive the reservoir with ``warmup``, then feed each
        prediction back as the next input, u(t+1) = y(t). Needs output_size == input_size.

        Shape: warmup (T0, N, I) or (T0, I) -> predictions (steps, N, O) or (steps, O); the first
        is the prediction made after the last warmup input.
        """
        if not self.fitted:
            raise RuntimeError("EchoStateNetwork: call fit() before generate()")
        if self.output_size != self.input_size:
            raise ValueError(
                f"EchoStateNetwork: generative mode feeds outputs back as inputs, so output_size "
                f"({self.output_size}) must equal input_size ({self.input_size})"
            )
        check_positive_int("EchoStateNetwork.generate", steps=steps)
        u, single = self._as_3d(warmup)
        xs = self.states(u, x0)
        w_out = self.weight_out.array
        y = self._features(u[-1], xs[-1]) @ w_out.T  # (N, O)
        x, out = xs[-1], [y]
        for _ in range(steps - 1):
            x = self._step(y @ self.weight_in.array.T + self.bias_in.array, x)
            y = self._features(y, x) @ w_out.T
            out.append(y)
        self.last_state = x
        out = np.stack(out)
        return Tensor(out[:, 0] if single else out)

    def extra_repr(self) -> str:
        return (f"input_size={self.input_size}, reservoir_size={self.reservoir_size}, "
                f"output_size={self.output_size}, spectral_radius={self.spectral_radius}, "
                f"sparsity={self.sparsity}, leak_rate={self.leak_rate}")


def ridge_regression(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """W = (XᵀX + λI)⁻¹ XᵀY, solved in float64 without forming the inverse.

    Shape: x (M, P), y (M, O) -> W (P, O)
    """
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    gram = x64.T @ x64 + ridge * np.eye(x.shape[1])
    return np.linalg.solve(gram, x64.T @ y64).astype(x.dtype)


__all__ = ["EchoStateNetwork", "ridge_regression", "sparse_reservoir", "spectral_radius"]
