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
from ..core.factories import as_tensor, unwrap
from ..core.random import default_generator
from .dropout import _scaled_keep_mask
from .linalg import linear
from .reduce import softmax_backward
from .shape import cat


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
    m = _broadcast_mask(unwrap(mask), shape, "dot_product_attention")
    return apply_op(dot_attention_forward, dot_attention_backward, query, key, value, m,
                    scale=float(scale), name="dot_attention")


def attention_bias(attn_mask, dtype, owner, attend_value):
    """An additive float bias from a mask: a bool mask becomes 0 / −inf, a float one is used.

    ``attend_value`` is the boolean that marks a key taking part: True for
    ``scaled_dot_product_attention``, False for ``MultiheadAttention``'s masks.
    """
    if attn_mask is None:
        return None
    m = np.asarray(unwrap(attn_mask))
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
            fits = np.broadcast_shapes(bias.shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{owner}: attn_mask of shape {bias.shape} does not broadcast to "
                             f"the attention scores {shape}")
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


def _mha_bias(owner, attn_mask, key_padding_mask, N, H, L, S, extra, dtype):
    """attn_mask and key_padding_mask (True = ignore) as one float bias (·, ·, L, S + extra)."""
    bias = None
    if attn_mask is not None:
        m = attention_bias(attn_mask, dtype, owner, attend_value=False)
        if m.shape == (L, S):
            m = m[None, None]
        elif m.shape == (N * H, L, S):
            m = m.reshape(N, H, L, S)
        else:
            raise ValueError(f"{owner}: expected attn_mask ({L}, {S}) or ({N * H}, {L}, {S}), "
                             f"got {m.shape}")
        bias = m
    if key_padding_mask is not None:
        m = attention_bias(key_padding_mask, dtype, owner, attend_value=False)
        if m.shape != (N, S):
            raise ValueError(f"{owner}: expected key_padding_mask ({N}, {S}), got {m.shape}")
        m = m[:, None, None, :]
        bias = m if bias is None else bias + m
    if bias is not None and extra:  # appended bias_k / zero keys are never masked
        bias = np.concatenate([bias, np.zeros(bias.shape[:-1] + (extra,), dtype)], axis=-1)
    return bias


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False, *,
                                 generator=None, owner="multi_head_attention_forward"):
    """PyTorch's F.multi_head_attention_forward: h heads of scaled dot-product attention.

        head_i = softmax(Q_i K_iᵀ / √d + mask) V_i,   [Q | K | V] = [q W_qᵀ | k W_kᵀ | v W_vᵀ] + b
        out    = concat(head_1 … head_h) W_oᵀ + b_o,  d = E / h

    Args: as PyTorch's (``nn.MultiheadAttention`` documents them); masks use True = ignore or a
        float bias. ``generator`` (gradwise extension) draws the dropout masks; ``owner`` names
        the caller in error messages.

    Shape: query (L, N, E), key (S, N, E_k), value (S, N, E_v) (unbatched: (L, E), ...)
        -> output (L, N, E), weights (N, L, S) averaged over heads or (N, h, L, S), or None.
    """
    if is_causal and attn_mask is None:
        raise ValueError(f"{owner}: is_causal=True needs attn_mask (the causal mask) as in "
                         f"PyTorch; build it with nn.Transformer.generate_square_subsequent_mask")
    batched = query.ndim == 3
    if not batched:  # (L, E) -> (1, L, E)
        query, key, value = (x.unsqueeze(0) for x in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = np.asarray(unwrap(key_padding_mask))[None]
    else:  # (L, N, E) -> (N, L, E)
        query, key, value = (x.transpose(0, 1) for x in (query, key, value))
    N, L, E = query.shape
    if E != embed_dim_to_check:
        raise ValueError(f"{owner}: was expecting embedding dimension of {embed_dim_to_check}, "
                         f"but got {E}")
    H, d = num_heads, E // num_heads
    if use_separate_proj_weight:
        ws = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        ws = (in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:])
    bs = (None,) * 3 if in_proj_bias is None else (
        in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
    q, k, v = (linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))  # (N, ·, E)
    if bias_k is not None:  # one more key/value: (N, S + 1, E)
        k = cat([k, bias_k.expand(N, 1, E)], dim=1)
        v = cat([v, bias_v.expand(N, 1, E)], dim=1)
    q, k, v = (x.reshape(N, x.shape[1], H, d).permute(0, 2, 1, 3) for x in (q, k, v))
    if static_k is not None:  # (N·h, S, d), already projected
        k = static_k.reshape(N, H, static_k.shape[1], d)
    if static_v is not None:
        v = static_v.reshape(N, H, static_v.shape[1], d)
    if add_zero_attn:  # one all-zero key/value per head: (N, h, S + 1, d)
        zeros = as_tensor(np.zeros((N, H, 1, d), q.dtype))
        k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)
    S = key.shape[1] if static_k is None else static_k.shape[1]
    bias = _mha_bias(owner, attn_mask, key_padding_mask, N, H, L, S, k.shape[2] - S, q.dtype)
    out, weights = attention_core(q, k, v, bias, 1.0 / math.sqrt(d), dropout_p, training,
                                  generator, owner)  # (N, h, L, d), (N, h, L, S)
    out = linear(out.permute(0, 2, 1, 3).reshape(N, L, E), out_proj_weight, out_proj_bias)
    out = out.transpose(0, 1) if batched else out.squeeze(0)  # (L, N, E) or (L, E)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(dim=1)
    return out, (weights if batched else weights.squeeze(0))


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
    m = _broadcast_mask(unwrap(mask), shape, "additive_attention")
    return apply_op(additive_attention_forward, additive_attention_backward, query_proj,
                    key_proj, v, value, m, name="additive_attention")
