"""``torch.distributions``' Categorical, Bernoulli and Normal, built from differentiable ops.

    Categorical: log p(k) = logits_k − logsumexp(logits);   H = −Σ_k p_k log p_k
    Bernoulli:   log p(v) = −BCEWithLogits(logits, v);      H = BCEWithLogits(logits, p)
    Normal:      log p(v) = −(v − μ)²/(2σ²) − log σ − ½ log 2π;   H = ½ + ½ log 2π + log σ

``sample`` draws from the library RNG without gradient; ``Normal.rsample`` is the
reparameterisation μ + σ·ε (ε ~ N(0, 1)), differentiable in μ and σ, used by VAEs.
``kl_divergence(Normal, Normal)`` = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.factories import as_tensor, is_tensor
from ..core.random import default_generator
from ..core.tensor import as_array
from . import elementwise as E
from . import reduce as R
from .loss import binary_cross_entropy_with_logits


def _tensor(x):
    return as_tensor(x if is_tensor(x) else np.asarray(x, np.float32))


def _shape(sample_shape):
    return tuple(sample_shape) if isinstance(sample_shape, (tuple, list)) else (int(sample_shape),)


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both")


class Distribution:
    """Base class: ``sample``, ``log_prob``, ``entropy``, ``batch_shape``."""

    has_rsample = False

    def sample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} does not define sample")

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample")


class Categorical(Distribution):
    """Categories 0..K−1 with probabilities ``probs`` (normalised over the last dim) or
    ``logits`` (unnormalised log-probabilities).

    Shape: probs/logits (*batch, K) -> sample (*sample_shape, *batch) int64
    """

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        if probs is not None:
            probs = _tensor(probs)
            self.probs = E.div(probs, R.sum(probs, -1, keepdim=True))
            eps = float(np.finfo(self.probs.dtype).eps)
            self.logits = E.log(E.clamp(self.probs, eps, 1 - eps))  # as torch's clamp_probs
        else:
            logits = _tensor(logits)
            self.logits = E.sub(logits, R.logsumexp(logits, -1, keepdim=True))
            self.probs = R.softmax(logits, -1)
        self.batch_shape = self.probs.shape[:-1]
        self.num_events = self.probs.shape[-1]

    def sample(self, sample_shape=()):
        p = self.probs.array.reshape(-1, self.num_events).astype(np.float64)
        n = int(np.prod(_shape(sample_shape), dtype=np.int64))
        u = default_generator().random((n, p.shape[0], 1))
        k = (u > np.cumsum(p / p.sum(-1, keepdims=True), -1)).sum(-1)  # inverse CDF
        k = np.minimum(k, self.num_events - 1)
        return as_tensor(k.reshape(_shape(sample_shape) + self.batch_shape).astype(np.int64))

    def log_prob(self, value):
        idx = as_array(value)
        idx = idx.astype(np.int64)
        logits = self.logits
        shape = np.broadcast_shapes(idx.shape, self.batch_shape)
        if logits.shape[:-1] != shape:
            logits = logits.expand(*shape, self.num_events)
        return logits.gather(-1, as_tensor(np.broadcast_to(idx, shape)[..., None])).squeeze(-1)

    def entropy(self):
        return E.neg(R.sum(E.mul(self.probs, self.logits), -1))


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or sigmoid(``logits``)), else 0."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        if probs is not None:
            self.probs = _tensor(probs)
            p = E.clamp(self.probs, np.finfo(self.probs.dtype).eps,
                        1 - np.finfo(self.probs.dtype).eps)
            self.logits = E.sub(E.log(p), E.log(E.sub(1.0, p)))  # log p − log(1 − p)
        else:
            self.logits = _tensor(logits)
            self.probs = E.sigmoid(self.logits)
        self.batch_shape = self.probs.shape

    def sample(self, sample_shape=()):
        shape = _shape(sample_shape) + self.batch_shape
        draws = default_generator().random(shape) < self.probs.array
        return as_tensor(draws.astype(self.probs.dtype))

    def log_prob(self, value):
        value = _tensor(value)
        logits = self.logits
        if logits.shape != value.shape:
            shape = np.broadcast_shapes(logits.shape, value.shape)
            logits, value = logits.expand(*shape), value.expand(*shape)
        return E.neg(binary_cross_entropy_with_logits(logits, value, reduction="none"))

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    @property
    def mean(self):
        return self.probs


class Normal(Distribution):
    """N(``loc``, ``scale``²), elementwise; loc and scale broadcast."""

    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = _tensor(loc), _tensor(scale)
        self.batch_shape = np.broadcast_shapes(self.loc.shape, self.scale.shape)

    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return E.mul(self.scale, self.scale)

    def _eps(self, sample_shape):
        shape = _shape(sample_shape) + self.batch_shape
        return default_generator().standard_normal(shape).astype(self.loc.dtype)

    def sample(self, sample_shape=()):
        eps = self._eps(sample_shape)
        return as_tensor(self.loc.array + eps * self.scale.array)

    def rsample(self, sample_shape=()):
        return E.add(self.loc, E.mul(self.scale, as_tensor(self._eps(sample_shape))))

    def log_prob(self, value):
        z = E.div(E.sub(value, self.loc), self.scale)
        return E.sub(E.sub(E.mul(E.mul(z, z), -0.5), E.log(self.scale)),
                     0.5 * math.log(2 * math.pi))

    def entropy(self):
        h = E.add(E.log(self.scale), 0.5 + 0.5 * math.log(2 * math.pi))
        return h if h.shape == self.batch_shape else h.expand(*self.batch_shape)


def kl_divergence(p, q):
    """KL(p ‖ q) for two Normals (the pair VAEs use)."""
    if not (isinstance(p, Normal) and isinstance(q, Normal)):
        raise NotImplementedError(f"kl_divergence: only (Normal, Normal) is implemented, got "
                                  f"({type(p).__name__}, {type(q).__name__})")
    var_ratio = E.square(E.div(p.scale, q.scale))
    t1 = E.square(E.div(E.sub(p.loc, q.loc), q.scale))
    return E.mul(E.sub(E.sub(E.add(var_ratio, t1), 1.0), E.log(var_ratio)), 0.5)
