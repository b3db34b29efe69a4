"""Gradient clipping, the remedy for exploding gradients in RNNs (Pascanu et al. 2013).

The lecture slides' snippet compares ``np.sum(grad * grad)``, the SQUARED norm, with the
threshold; the rule (and PyTorch) uses the norm itself, and over ALL parameters at once:

    total = ‖(‖g₁‖_p, ‖g₂‖_p, ...)‖_p          (= ‖concat(g₁, g₂, ...)‖_p)
    gᵢ ← gᵢ · min(1, max_norm / (total + 1e-6))

Clipping each tensor separately, or by the squared norm, gives different training (REFERENCES:
a wrong clipping alone moved a PTB model from 114 to 129 test perplexity).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...core import Tensor


def _as_list(parameters, warn_empty_generator=False):
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = hasattr(parameters, "__next__")
    parameters = list(parameters)
    if warn_empty_generator and is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return parameters


def _vector_norm(x, norm_type):
    """‖x‖_p of the flattened array: p = inf → max|x|, -inf → min|x|, 0 → #nonzeros."""
    x = x.ravel()
    if x.size == 0:
        return np.zeros((), x.dtype)
    return np.asarray(np.linalg.norm(x, ord=norm_type), dtype=x.dtype)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the norms of ``tensors`` (= the norm of all their entries concatenated).

    Args:
        tensors: a Tensor or an iterable of Tensors (typically the gradients).
        norm_type: p, any float including ``inf`` and ``-inf`` (default 2).
        error_if_nonfinite: raise if the total norm is nan or ±inf.
        foreach: accepted for PyTorch compatibility; NumPy has no multi-tensor kernels and
            the result does not depend on it.

    Returns:
        a 0-d Tensor in the tensors' (promoted) dtype; ``tensor(0.)`` for no tensors.

    Raises:
        RuntimeError: the norm is non-finite and ``error_if_nonfinite`` is set (as PyTorch).
    """
    del foreach
    arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.zeros((), np.float32))
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)  # (n_tensors,)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite ({float(total)}), so it cannot be clipped. To disable this error and "
            f"scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the ``.grad`` of ``parameters`` in place by min(1, max_norm / (total_norm + 1e-6))."""
    del foreach
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm.array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)  # computed in the norm's dtype
    with np.errstate(invalid="ignore"):  # a nan/inf norm spreads nan silently, as in torch
        for g in grads:
            g.array *= coef.astype(g.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of ``parameters`` so that their GLOBAL p-norm is at most ``max_norm``.

    One norm is computed over all gradients together (see the module docstring); every
    gradient is then scaled by the same factor min(1, max_norm / (total + 1e-6)), in place.
    Parameters whose ``.grad`` is None are ignored.

    Args:
        parameters: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``).
        max_norm: the largest allowed norm.
        norm_type: p of the p-norm, e.g. 2.0 (default), 1.0 or ``float("inf")``.
        error_if_nonfinite: raise RuntimeError when the norm is nan/inf instead of scaling
            the gradients by it (which would fill them with nan).
        foreach: accepted for PyTorch compatibility and ignored.

    Returns:
        the total norm of the gradients BEFORE clipping, a 0-d Tensor.
    """
    parameters = _as_list(parameters, warn_empty_generator=True)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to [-clip_value, clip_value], in place.

    Args:
        parameters: a Tensor or an iterable of Tensors; those with ``.grad`` None are skipped.
        clip_value: the largest allowed absolute value.
        foreach: accepted for PyTorch compatibility and ignored.
    """
    del foreach
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)
