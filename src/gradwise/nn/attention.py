"""Attention for encoder–decoder RNNs: additive (Bahdanau) and dot/general (Luong) scores.

Seed 002 ("The Attention RNN", Bahdanau et al. 2014): at every decoder step the attention
module scores each encoder time step, the scores are normalised by a softmax into weights α,
and the context is the α-weighted sum of the encoder features:

    e_ij = score(q_i, k_j)          α_ij = softmax_j(e_ij)          c_i = Σ_j α_ij v_j

Scores:
    additive (Bahdanau):  e_ij = vᵀ tanh(W_q q_i + W_k k_j + b)
    dot (Luong):          e_ij = q_i · k_j · scale
    general (Luong):      e_ij = q_iᵀ W_a k_j  =  (W_aᵀ q_i) · k_j

Masks follow ``torch.nn.functional.scaled_dot_product_attention``'s boolean ``attn_mask``:
``True`` marks a key that takes part in attention, ``False`` a padded one. Masked keys get a
weight of exactly 0. A query whose keys are all masked gets all-zero weights and a zero context
(PyTorch returns NaN there).

The two ops are forward/backward pairs of pure NumPy functions, like ``functional``'s; the
projections W_q, W_k, W_a are ``Linear`` layers applied outside the op (one GEMM each).
"""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.tensor import Tensor
from .linear import Linear
from .module import Module
from .parameter import Parameter
from . import init


def _masked_softmax(e, mask):
    """Softmax over the last axis of e with keys where mask is False removed (weight 0).

    Rows with no valid key get weight 0 everywhere instead of NaN.
    """
    if mask is not None:
        e = np.where(mask, e, -np.inf)
    m = e.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    w = np.exp(e - m)
    s = w.sum(axis=-1, keepdims=True)
    return w / np.where(s > 0, s, 1.0)


def _softmax_backward(dw, w):
    # de = α ⊙ (dα − Σ_j α_j dα_j); masked keys have α = 0 and get de = 0
    return w * (dw - (dw * w).sum(axis=-1, keepdims=True))


def _broadcast_mask(mask, shape, owner):
    """mask (N, S), (N, 1, S) or (N, T, S) -> boolean (N, T, S)."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"{owner}: mask must be boolean (True = attend), got dtype {mask.dtype}")
    if mask.ndim == 2:
        mask = mask[:, None, :]
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"{owner}: mask of shape {mask.shape} does not broadcast to the scores {shape} "
            f"(expected (N, S) or (N, T_q, S))"
        ) from None


# -- dot-product attention ----------------------------------------------------------------------
def dot_attention_forward(q, k, v, mask=None, scale=1.0):
    """Context and weights of dot-product attention.

        e = scale · q kᵀ      α = softmax(e, masked)      c = α v

    Shape:
        q (N, T_q, D), k (N, S, D), v (N, S, D_v), mask (N, T_q, S) bool or None
        -> context (N, T_q, D_v), weights (N, T_q, S)
    """
    e = np.matmul(q, k.transpose(0, 2, 1)) * scale  # (N, T_q, S)
    w = _masked_softmax(e, mask)
    c = np.matmul(w, v)  # (N, T_q, D_v)
    return (c, w), (q, k, v, w, scale)


def dot_attention_backward(grads, cache):
    dc, dw_out = grads
    q, k, v, w, scale = cache
    dw = dw_out + np.matmul(dc, v.transpose(0, 2, 1))  # dL/dα = dα_out + dc vᵀ
    dv = np.matmul(w.transpose(0, 2, 1), dc)  # dL/dv = αᵀ dc
    de = _softmax_backward(dw, w) * scale
    dq = np.matmul(de, k)  # dL/dq = de k
    dk = np.matmul(de.transpose(0, 2, 1), q)  # dL/dk = deᵀ q
    return dq, dk, dv, None


def _check_qkv(owner, q, k, v, d_q=None, d_k=None):
    if q.ndim != 3 or k.ndim != 3 or v.ndim != 3:
        raise ValueError(
            f"{owner}: expected query (N, T_q, D), keys (N, S, D_k), values (N, S, D_v); "
            f"got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    if not (q.shape[0] == k.shape[0] == v.shape[0]) or k.shape[1] != v.shape[1]:
        raise ValueError(
            f"{owner}: batch and key lengths must agree: query {tuple(q.shape)}, keys "
            f"{tuple(k.shape)}, values {tuple(v.shape)}"
        )
    if d_q is not None and q.shape[2] != d_q:
        raise ValueError(f"{owner}: expected query (N, T_q, {d_q}), got {tuple(q.shape)}")
    if d_k is not None and k.shape[2] != d_k:
        raise ValueError(f"{owner}: expected keys (N, S, {d_k}), got {tuple(k.shape)}")


def dot_product_attention(query, key, value, mask=None, scale=1.0):
    """Functional dot-product attention; returns ``(context, weights)``.

    Args:
        query (N, T_q, D), key (N, S, D), value (N, S, D_v): Tensors.
        mask: boolean (N, S) or (N, T_q, S), True = attend; None = attend everywhere.
        scale: multiplies the scores (1/√D gives scaled dot-product attention).
    """
    _check_qkv("dot_product_attention", query, key, value)
    if query.shape[2] != key.shape[2]:
        raise ValueError(
            f"dot_product_attention: query and key sizes differ: {query.shape[2]} vs {key.shape[2]}"
        )
    shape = (query.shape[0], query.shape[1], key.shape[1])
    m = _broadcast_mask(mask.array if isinstance(mask, Tensor) else mask, shape,
                        "dot_product_attention")
    return apply_op(dot_attention_forward, dot_attention_backward, query, key, value, m,
                    scale=float(scale), name="dot_attention")


# -- additive attention -------------------------------------------------------------------------
def additive_attention_forward(qp, kp, v_a, values, mask=None):
    """Context and weights of additive attention on projected queries and keys.

        e_ij = v_aᵀ tanh(qp_i + kp_j)      α = softmax(e, masked)      c = α values

    (qp = W_q q + b, kp = W_k k are computed outside, one GEMM each.)

    Shape:
        qp (N, T_q, A), kp (N, S, A), v_a (A,), values (N, S, D_v), mask (N, T_q, S) or None
        -> context (N, T_q, D_v), weights (N, T_q, S)
    """
    t = np.tanh(qp[:, :, None, :] + kp[:, None, :, :])  # (N, T_q, S, A)
    e = t @ v_a  # (N, T_q, S)
    w = _masked_softmax(e, mask)
    c = np.matmul(w, values)  # (N, T_q, D_v)
    return (c, w), (t, v_a, values, w)


def additive_attention_backward(grads, cache):
    dc, dw_out = grads
    t, v_a, values, w = cache
    dw = dw_out + np.matmul(dc, values.transpose(0, 2, 1))
    dvalues = np.matmul(w.transpose(0, 2, 1), dc)
    de = _softmax_backward(dw, w)  # (N, T_q, S)
    dv_a = np.einsum("nqs,nqsa->a", de, t)  # dL/dv_a = Σ de_ij t_ij
    dpre = de[..., None] * v_a * (1.0 - t * t)  # d tanh: 1 − t²; (N, T_q, S, A)
    dqp = dpre.sum(axis=2)  # each query meets every key
    dkp = dpre.sum(axis=1)
    return dqp, dkp, dv_a, dvalues, None


def additive_attention(query_proj, key_proj, v, value, mask=None):
    """Functional additive attention on already projected queries/keys; ``(context, weights)``."""
    _check_qkv("additive_attention", query_proj, key_proj, value)
    if query_proj.shape[2] != key_proj.shape[2] or tuple(v.shape) != (key_proj.shape[2],):
        raise ValueError(
            f"additive_attention: projected sizes must agree: query {tuple(query_proj.shape)}, "
            f"keys {tuple(key_proj.shape)}, v {tuple(v.shape)}"
        )
    shape = (query_proj.shape[0], query_proj.shape[1], key_proj.shape[1])
    m = _broadcast_mask(mask.array if isinstance(mask, Tensor) else mask, shape,
                        "additive_attention")
    return apply_op(additive_attention_forward, additive_attention_backward, query_proj,
                    key_proj, v, value, m, name="additive_attention")


# -- modules ------------------------------------------------------------------------------------
def _owner(module):
    """One-line name for error messages: ``AdditiveAttention(query_size=3, ...)``."""
    return f"{type(module).__name__}({module.extra_repr()})"


def _as_3d(query):
    """Accept a single decoder state (N, D) as one query (N, 1, D)."""
    return (query.unsqueeze(1), True) if query.ndim == 2 else (query, False)


class AdditiveAttention(Module):
    """Bahdanau attention: e_ij = vᵀ tanh(W_q q_i + W_k k_j + b).

    Args:
        query_size: size of the decoder state q.
        key_size: size of the encoder features k (also used as values unless given).
        attention_size: size A of the hidden scoring layer (default: query_size).

    Shape:
        query (N, T_q, query_size) or (N, query_size), keys (N, S, key_size),
        values (N, S, D_v) (default: keys), mask (N, S) or (N, T_q, S) bool, True = attend
        -> context (N, T_q, D_v) or (N, D_v), weights (N, T_q, S) or (N, S)

    Parameters:
        query_proj (Linear query_size -> A, with the bias b), key_proj (Linear key_size -> A, no
        bias), v (A,): U(−1/√A, 1/√A).
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int | None = None,
                 dtype=None):
        super().__init__()
        attention_size = query_size if attention_size is None else attention_size
        for name, val in (("query_size", query_size), ("key_size", key_size),
                          ("attention_size", attention_size)):
            if not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"AdditiveAttention: {name} must be a positive int, got {val!r}")
        self.query_size, self.key_size, self.attention_size = query_size, key_size, attention_size
        self.query_proj = Linear(query_size, attention_size, bias=True, dtype=dtype)
        self.key_proj = Linear(key_size, attention_size, bias=False, dtype=dtype)
        self.v = Parameter(np.empty((attention_size,), self.query_proj.weight.dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.attention_size)
        init.uniform_(self.v, -bound, bound)

    def project_keys(self, keys):
        """W_k k for all keys, once per source sequence (reuse it at every decoder step)."""
        return self.key_proj(keys)

    def forward(self, query, keys, values=None, mask=None, keys_proj=None):
        query, single = _as_3d(query)
        values = keys if values is None else values
        _check_qkv(_owner(self), query, keys, values, self.query_size, self.key_size)
        kp = self.project_keys(keys) if keys_proj is None else keys_proj
        c, w = additive_attention(self.query_proj(query), kp, self.v, values, mask)
        return (c[:, 0], w[:, 0]) if single else (c, w)

    def extra_repr(self) -> str:
        return (f"query_size={self.query_size}, key_size={self.key_size}, "
                f"attention_size={self.attention_size}")


class DotAttention(Module):
    """Luong dot attention e_ij = q_i · k_j (× 1/√D when ``scaled``); no parameters.

    Shape: as ``AdditiveAttention``; query and keys must have the same size D.
    """

    def __init__(self, scaled: bool = False):
        super().__init__()
        self.scaled = bool(scaled)

    def forward(self, query, keys, values=None, mask=None):
        query, single = _as_3d(query)
        values = keys if values is None else values
        _check_qkv(_owner(self), query, keys, values)
        if query.shape[2] != keys.shape[2]:
            raise ValueError(
                f"{_owner(self)}: query size {query.shape[2]} must equal key size {keys.shape[2]}"
            )
        scale = 1.0 / math.sqrt(query.shape[2]) if self.scaled else 1.0
        c, w = dot_product_attention(query, keys, values, mask, scale)
        return (c[:, 0], w[:, 0]) if single else (c, w)

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}"


class GeneralAttention(Module):
    """Luong general attention e_ij = q_iᵀ W_a k_j, computed as (W_aᵀ q_i) · k_j.

    Args:
        query_size, key_size: sizes of q and k.

    Parameters:
        weight (query_size, key_size) = W_a: U(−1/√key_size, 1/√key_size).
    """

    def __init__(self, query_size: int, key_size: int, dtype=None):
        super().__init__()
        for name, val in (("query_size", query_size), ("key_size", key_size)):
            if not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"GeneralAttention: {name} must be a positive int, got {val!r}")
        self.query_size, self.key_size = query_size, key_size
        self.proj = Linear(query_size, key_size, bias=False, dtype=dtype)  # weight = W_aᵀ

    def forward(self, query, keys, values=None, mask=None):
        query, single = _as_3d(query)
        values = keys if values is None else values
        _check_qkv(_owner(self), query, keys, values, self.query_size, self.key_size)
        c, w = dot_product_attention(self.proj(query), keys, values, mask, 1.0)
        return (c[:, 0], w[:, 0]) if single else (c, w)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


__all__ = [
    "AdditiveAttention", "DotAttention", "GeneralAttention", "additive_attention",
    "dot_product_attention",
]
