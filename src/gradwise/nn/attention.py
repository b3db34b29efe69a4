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
weight of exactly 0. A query whose keys are all masked gets all-zero weights and a zero context,
as PyTorch's ``scaled_dot_product_attention`` returns (a plain masked softmax gives NaN).

The kernels live in ``functional/attention.py``; the projections W_q, W_k, W_a are ``Linear``
layers applied outside the op (one GEMM each).

``MultiheadAttention`` is PyTorch's Transformer attention (Vaswani et al. 2017), see its docstring.
"""
from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..functional.attention import check_qkv, additive_attention, dot_product_attention
from .linear import Linear
from .module import Module
from .parameter import Parameter
from . import init


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
        check_qkv(_owner(self), query, keys, values, self.query_size, self.key_size)
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
        check_qkv(_owner(self), query, keys, values)
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
        check_qkv(_owner(self), query, keys, values, self.query_size, self.key_size)
        c, w = dot_product_attention(self.proj(query), keys, values, mask, 1.0)
        return (c[:, 0], w[:, 0]) if single else (c, w)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


class MultiheadAttention(Module):
    """PyTorch's ``nn.MultiheadAttention``: h heads of scaled dot-product attention.

        head_i = softmax(Q_i K_iᵀ / √d + mask) V_i,   Q_i = q W_qiᵀ + b_qi, ...,  d = E / h
        out    = concat(head_1 … head_h) W_oᵀ + b_o

    Args:
        embed_dim: E, the size of queries and of the output.
        num_heads: h; E must be divisible by h.
        dropout: dropout probability on the attention weights (training only).
        bias: add in_proj_bias and out_proj.bias.
        add_bias_kv: append learnt bias_k / bias_v as one more key and value.
        add_zero_attn: append one all-zero key and value (after the head split).
        kdim, vdim: key / value sizes (default E); if either differs from E the projections are
            q_proj_weight, k_proj_weight, v_proj_weight instead of the packed in_proj_weight.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        generator: np.random.Generator for the dropout masks (gradwise extension, as
            ``nn.Dropout``'s; default: the library RNG, ``gw.manual_seed``).

    Shape:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) ((N, ·, ·) with batch_first;
        unbatched (L, E), (S, kdim), (S, vdim)); key_padding_mask (N, S) and attn_mask (L, S) or
        (N·h, L, S): bool with True = NOT attended (the opposite of ``DotAttention``'s masks),
        or float added to the scores
        -> output (L, N, E), weights (N, L, S) averaged over heads or (N, h, L, S).

    Differences from PyTorch: a query whose keys are all masked gets zero weights and a zero
    output instead of NaN; the dropout masks differ from PyTorch's.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None, *, generator=None):
        super().__init__()
        for name, val in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {val!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim}, num_heads={num_heads}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, float(dropout)
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.batch_first, self.add_zero_attn = bool(batch_first), bool(add_zero_attn)
        self.generator = generator
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        dt = self.out_proj.weight.dtype
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dt))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((E, E), dt))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dt))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty((3 * E,), dt))
        else:
            self.register_parameter("in_proj_bias", None)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dt))
            self.bias_v = Parameter(np.empty((1, 1, E), dt))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self):
        """Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v (PyTorch's)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _check_inputs(self, query, key, value, batched):
        owner = f"{type(self).__name__}({self.extra_repr()})"
        want = 3 if batched else 2
        if key.ndim != want or value.ndim != want:
            raise ValueError(f"{owner}: query is {query.ndim}-D, so key and value must be "
                             f"{want}-D; got {tuple(key.shape)}, {tuple(value.shape)}")
        sizes = (("query", query, self.embed_dim), ("key", key, self.kdim),
                 ("value", value, self.vdim))
        for name, x, d in sizes:
            if x.shape[-1] != d:
                raise ValueError(f"{owner}: expected {name} with last dim {d}, got "
                                 f"{tuple(x.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{owner}: key and value must have the same length and batch, got "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        b = 0 if self.batch_first else 1
        if batched and query.shape[b] != key.shape[b]:
            raise ValueError(f"{owner}: query and key batch sizes differ: {tuple(query.shape)} "
                             f"vs {tuple(key.shape)}")
        return owner

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attention of ``query`` over ``key``/``value``; returns ``(output, weights or None)``.

        ``is_causal`` is a hint, as in PyTorch: it requires ``attn_mask`` (the causal mask).
        """
        if query.ndim not in (2, 3):
            raise ValueError(f"MultiheadAttention: expected query (L, N, E) or (L, E), got "
                             f"{tuple(query.shape)}")
        batched = query.ndim == 3
        owner = self._check_inputs(query, key, value, batched)
        if batched and self.batch_first:  # (N, L, E) -> (L, N, E)
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal, generator=self.generator, owner=owner)
        return (out.transpose(0, 1) if batched and self.batch_first else out), weights

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")


__all__ = [
    "AdditiveAttention", "MultiheadAttention", "DotAttention", "GeneralAttention", "additive_attention",
    "dot_product_attention",
]
