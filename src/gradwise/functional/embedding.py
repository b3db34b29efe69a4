"""Embedding lookup: row gather in forward, scatter-add of the rows' gradients in backward."""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.tensor import as_array


def embedding_forward(indices, weight, padding_idx=None, scale_grad_by_freq=False):
    """y[..., :] = W[indices[...], :].

    Shape: indices (*) integer, weight (num_embeddings, embedding_dim) -> y (*, embedding_dim)
    """
    return weight[indices], (indices, weight.shape, padding_idx, scale_grad_by_freq)


def embedding_backward(g, cache):
    indices, shape, padding_idx, scale_grad_by_freq = cache
    idx = indices.reshape(-1)  # (M,)
    rows = g.reshape(-1, shape[1])  # (M, D)
    if scale_grad_by_freq:
        counts = np.bincount(idx, minlength=shape[0])
        rows = rows / counts[idx][:, None].astype(g.dtype)  # divide by the word's batch count
    # dL/dW_j = Σ_{i: idx_i = j} dL/dy_i: sort the rows by index, then one segmented sum per
    # distinct index (np.add.reduceat), several times faster than np.add.at on rows
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]]) if idx.size else idx
    dw = np.zeros(shape, g.dtype)
    if idx.size:
        dw[sorted_idx[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    if padding_idx is not None:
        dw[padding_idx] = 0  # the padding row never receives gradient
    return None, dw


def check_padding_idx(owner, padding_idx, num_embeddings):
    """padding_idx as a row in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    n = num_embeddings
    if not -n <= padding_idx < n:
        raise ValueError(f"{owner}: padding_idx must be within num_embeddings [-{n}, {n}), "
                         f"got {padding_idx}")
    return padding_idx % n


def _renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the referenced rows whose norm exceeds max_norm (torch.embedding_renorm_)."""
    rows = np.unique(indices)
    w = weight[rows]
    norms = np.linalg.norm(w, ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    weight[rows] = (w * scale[:, None]).astype(weight.dtype, copy=False)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (PyTorch's F.embedding).

    Args:
        input: integer indices of any shape, each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: a row that receives no gradient (negative counts from the end).
        max_norm: if given, rows referenced by ``input`` whose ``norm_type``-norm exceeds it are
            rescaled to norm max_norm **in place** before the lookup, as in PyTorch.
        scale_grad_by_freq: divide each row's gradient by its count in the mini-batch.
        sparse: must be False (gradwise has dense gradients only).

    Shape: input (*) -> output (*, embedding_dim)
    """
    idx = as_array(input)
    w = as_array(weight)
    if sparse:
        raise ValueError("embedding: sparse gradients are not supported by gradwise (dense only)")
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"embedding: indices must be an integer tensor, got {idx.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {w.shape}")
    n = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {n} embeddings")
    padding_idx = check_padding_idx("embedding", padding_idx, n)
    if max_norm is not None:
        _renorm_(w, idx, max_norm, norm_type)
    return apply_op(embedding_forward, embedding_backward, idx, weight,
                    padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq),
                    name="embedding")
