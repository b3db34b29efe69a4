"""Attention kernels: dot-product (Luong, scaled / Transformer) and additive (Bahdanau) scores.

At every query i the scores e_ij over the keys j are normalised by a masked softmax into weights
α, and the output is the α-weighted sum of the values:

    e_ij = score(q_i, k_j) + b_ij      α_ij = softmax_j(e_ij)      c_i = Σ_j α_ij v_j

Scores:
    dot (Luong, Transformer):  e_ij = scale · q_i · k_j          (scale = 1/√D: "scaled")
    additive (Bahdanau):       e_ij = v_aᵀ tanh(qp_i + kp_j)     (qp = W_q q + b, kp = W_k k)

Masks: a boolean mask with ``True`` = attend (``scaled_dot_product_attention``'s meaning) or an
additive float bias b (−inf removes a key). Removed keys get a weight of exactly 0, and a query
whose keys are all removed gets all-zero weights and a zero output, as PyTorch's
``scaled_dot_product_attention`` returns (``MultiheadAttention``'s weights path gives NaN there).

The softmax's backward is ``reduce.softmax_backward``: dL/de = α ⊙ (dα − Σ_j α_j dα_j).
"""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.random import default_generator
from ..core.tensor import Tensor
from .dropout import _scaled_keep_mask
from .reduce import softmax_backward


def masked_softmax(e, mask=None):
    """Softmax over the last axis of e; keys where ``mask`` is False or e = −inf get weight 0.

    Rows with no valid key get weight 0 everywhere instead of NaN.
    """
    if mask is not None:
        e = np.where(mask, e, -np.inf)
    m = e.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    w = np.exp(e - m)
    s = w.sum(axis=-1, keepdims=True)
    return (w / np.where(s > 0, s, 1.0)).astype(e.dtype, copy=False)


def _swap(a):
    return np.swapaxes(a, -1, -2)


# -- dot-product attention ----------------------------------------------------------------------
def dot_attention_forward(q, k, v, mask=None, scale=1.0, bias=None, keep=None):
    """Output and weights of dot-product attention.

        e = scale · q kᵀ + bias      α = softmax(e, masked)      c = (α ⊙ keep) v

    ``keep`` is dropout's scaled keep-mask m / (1 − p) on the weights (None: no dropout); the
    returned weights are the dropped-out ones, as ``MultiheadAttention`` returns them.

    Shape:
        q (*, T_q, D), k (*, S, D), v (*, S, D_v), mask (bool) / bias (float) / keep broadcast
        to (*, T_q, S) -> context (*, T_q, D_v), weights (*, T_q, S)
    """
    e = np.matmul(q, _swap(k)) * q.dtype.type(scale)  # (*, T_q, S)
    if bias is not None:
        e = e + bias
    w = masked_softmax(e, mask)
    wd = w if keep is None else w * keep
    c = np.matmul(wd, v)  # (*, T_q, D_v)
    return (c, wd), (q, k, v, w, wd, keep, scale)


def _sum_to(g, shape):
    """Sum a broadcast gradient back to an input's batch shape."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def dot_attention_backward(grads, cache):
    dc, dwd_out = grads
    q, k, v, w, wd, keep, scale = cache
    dwd = np.matmul(dc, _swap(v))  # dL/d(α⊙keep) = dc vᵀ
    if dwd_out is not None:
        dwd = dwd + dwd_out
    dv = np.matmul(_swap(wd), dc)  # dL/dv = (α⊙keep)ᵀ dc
    dw = dwd if keep is None else dwd * keep
    de = softmax_backward(dw, (w, -1)) * q.dtype.type(scale)
    dq = np.matmul(de, k)  # dL/dq = de k
    dk = np.matmul(_swap(de), q)  # dL/dk = deᵀ q
    return (_sum_to(dq, q.shape), _sum_to(dk, k.shape), _sum_to(dv, v.shape), None)


def check_qkv(owner, q, k, v, d_q=None, d_k=None):
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


def _raw(x):
    return x.array if isinstance(x, Tensor) else x


def dot_product_attention(query, key, value, mask=None, scale=1.0):
    """Functional dot-product attention; returns ``(context, weights)``.

    Args:
        query (N, T_q, D), key (N, S, D), value (N, S, D_v): Tensors.
        mask: boolean (N, S) or (N, T_q, S), True = attend; None = attend everywhere.
        scale: multiplies the scores (1/√D gives scaled dot-product attention).
    """
    check_qkv("dot_product_attention", query, key, value)
    if query.shape[2] != key.shape[2]:
        raise ValueError(
            f"dot_product_attention: query and key sizes differ: {query.shape[2]} vs {key.shape[2]}"
        )
    shape = (query.shape[0], query.shape[1], key.shape[1])
    m = _broadcast_mask(_raw(mask), shape, "dot_product_attention")
    return apply_op(dot_attention_forward, dot_attention_backward, query, key, value, m,
                    scale=float(scale), name="dot_attention")


def attention_bias(attn_mask, dtype, owner, attend_value):
    """An additive float bias from a mask: a bool mask becomes 0 / −inf, a float one is used.

    ``attend_value`` is the boolean that marks a key taking part: True for
    ``scaled_dot_product_attention``, False for ``MultiheadAttention``'s masks.
    """
    if attn_mask is None:
        return None
    m = np.asarray(_raw(attn_mask))
    if m.dtype == np.bool_:
        attend = m if attend_value else ~m
        return np.where(attend, dtype.type(0), dtype.type(-np.inf))
    if not np.issubdtype(m.dtype, np.floating):
        raise TypeError(f"{owner}: attn_mask must be bool or floating point, got {m.dtype}")
    return m.astype(dtype, copy=False)


def attention_core(q, k, v, bias=None, scale=1.0, dropout_p=0.0, training=True, rng=None,
                   owner="scaled_dot_product_attention"):
    """Run the dot-attention op on Tensors (*, T_q, D), (*, S, D), (*, S, D_v) with a float bias.

    Returns ``(output, weights)``; dropout with probability ``dropout_p`` hits the weights.
    """
    shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]) + (q.shape[-2],
                                                                            k.shape[-2])
    if bias is not None:
        try:
            np.broadcast_shapes(bias.shape, shape)
        except ValueError:
            raise ValueError(f"{owner}: attn_mask of shape {bias.shape} does not broadcast to "
                             f"the attention scores {shape}") from None
    keep = None
    if training and dropout_p > 0:
        rng = default_generator() if rng is None else rng
        keep = _scaled_keep_mask(shape, dropout_p, q.dtype, rng)
    return apply_op(dot_attention_forward, dot_attention_backward, q, k, v, None,
                    scale=float(scale), bias=bias, keep=keep, name="scaled_dot_product_attention")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False, rng=None, *,
                                 generator=None):
    """PyTorch's F.scaled_dot_product_attention: softmax(q kᵀ · scale + mask) v.

    Args:
        query (*, L, E), key (*, S, E), value (*, S, E_v): Tensors; leading dims broadcast.
        attn_mask: bool (True = take part) or float (added to the scores), broadcast to
            (*, L, S).
        dropout_p: dropout probability on the attention weights (always applied, as in
            PyTorch; pass 0.0 in evaluation).
        is_causal: mask key j > query i (the upper triangle of an (L, S) mask).
        scale: score scale; default 1/√E.
        enable_gqa: let query heads (dim −3) be a multiple of key/value heads (grouped query
            attention); each key/value head serves H_q / H_kv query heads.
        rng, generator: np.random.Generator for the dropout mask (two names for one argument, a
            gradwise extension as in ``F.dropout``; default: the library RNG). The dropout masks
            differ from PyTorch's.

    Shape: -> (*, L, E_v)
    """
    owner = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"{owner}: expected query (*, L, E), key (*, S, E), value (*, S, E_v); "
                         f"got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{owner}: expected query (*, L, E), key (*, S, E), value (*, S, E_v); "
                         f"got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{owner}: dropout_p must be in [0, 1], got {dropout_p}")
    groups = 1
    if enable_gqa and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        groups, rest = divmod(query.shape[-3], key.shape[-3])
        if rest or key.shape[-3] != value.shape[-3]:
            raise ValueError(f"{owner}: enable_gqa needs query heads {query.shape[-3]} to be a "
                             f"multiple of key/value heads {key.shape[-3]}/{value.shape[-3]}")
    rng = generator if generator is not None else rng
    bias = attention_bias(attn_mask, query.dtype, owner, attend_value=True)
    if is_causal:
        if bias is not None:
            raise ValueError(f"{owner}: pass either attn_mask or is_causal=True, not both")
        L, S = query.shape[-2], key.shape[-2]
        causal = np.tril(np.ones((L, S), bool))
        bias = attention_bias(causal, query.dtype, owner, attend_value=True)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if groups > 1:  # query head h reads key/value head h // groups, by broadcasting
        lead, (L, E) = query.shape[:-3], query.shape[-2:]
        q = query.reshape(*lead, key.shape[-3], groups, L, E)
        if bias is not None and bias.ndim >= 3 and bias.shape[-3] != 1:
            bias = bias.reshape(*bias.shape[:-3], key.shape[-3], groups, *bias.shape[-2:])
        elif bias is not None:
            bias = bias[..., None, :, :] if bias.ndim >= 3 else bias
        out, _ = attention_core(q, key.unsqueeze(-3), value.unsqueeze(-3), bias, scale,
                                dropout_p, True, rng, owner)
        return out.reshape(*lead, query.shape[-3], L, value.shape[-1])
    out, _ = attention_core(query, key, value, bias, scale, dropout_p, True, rng, owner)
    return out


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
    w = masked_softmax(e, mask)
    c = np.matmul(w, values)  # (N, T_q, D_v)
    return (c, w), (t, v_a, values, w)


def additive_attention_backward(grads, cache):
    dc, dw_out = grads
    t, v_a, values, w = cache
    dw = np.matmul(dc, _swap(values))
    if dw_out is not None:
        dw = dw + dw_out
    dvalues = np.matmul(_swap(w), dc)
    de = softmax_backward(dw, (w, -1))  # (N, T_q, S)
    dv_a = np.einsum("nqs,nqsa->a", de, t)  # dL/dv_a = Σ de_ij t_ij
    dpre = de[..., None] * v_a * (1.0 - t * t)  # d tanh: 1 − t²; (N, T_q, S, A)
    dqp = dpre.sum(axis=2)  # each query meets every key
    dkp = dpre.sum(axis=1)
    return dqp, dkp, dv_a, dvalues, None


def additive_attention(query_proj, key_proj, v, value, mask=None):
    """Functional additive attention on already projected queries/keys; ``(context, weights)``."""
    check_qkv("additive_attention", query_proj, key_proj, value)
    if query_proj.shape[2] != key_proj.shape[2] or tuple(v.shape) != (key_proj.shape[2],):
        raise ValueError(
            f"additive_attention: projected sizes must agree: query {tuple(query_proj.shape)}, "
            f"keys {tuple(key_proj.shape)}, v {tuple(v.shape)}"
        )
    shape = (query_proj.shape[0], query_proj.shape[1], key_proj.shape[1])
    m = _broadcast_mask(_raw(mask), shape, "additive_attention")
    return apply_op(additive_attention_forward, additive_attention_backward, query_proj,
                    key_proj, v, value, m, name="additive_attention")
