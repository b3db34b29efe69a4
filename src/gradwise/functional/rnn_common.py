"""Shared bookkeeping of the fused sequence kernels (rnn.py, lstm.py, gru.py).

Every kernel runs one layer direction over a padded, time-major batch ``x (T, N, D)``. Variable
lengths use PyTorch's packed convention: the batch is sorted by decreasing length and
``batch_sizes[t]`` is the number of sequences still running at step t, so the active rows of step
t are always the prefix ``[:batch_sizes[t]]``. With that prefix layout

* the forward direction reads the state of step t−1 from the output buffer (a row active at t
  is active at t−1);
* the reverse direction starts each sequence at its own end: at step t the rows
  ``[batch_sizes[t+1]:batch_sizes[t]]`` begin there and read the initial state;
* outputs are zero past each length, and h_n is each sequence's last valid step;
* in BPTT a running gradient buffer ``dh (N, H)`` is updated only on active rows, so rows that
  have not started yet (walking backward) keep dh_n and rows that finished keep dh_0.

This module also holds the gather/scatter op pair between the packed layout ``(Σ_t b_t, *)``
and the padded layout ``(T, B, *)`` used by ``nn.utils.rnn``.
"""
from __future__ import annotations

import numpy as np

from ..core import apply_op
from ..core.threads import single_threaded_blas

# multiply-adds of one step's recurrent GEMM below which the time loop runs single-threaded BLAS
THREADED_STEP_MIN_WORK = 1 << 25


def check_batch_sizes(batch_sizes, T, N, owner="rnn"):
    """Validate per-step batch sizes; return them as int64 or None when every step is full.

    Shape: batch_sizes (T,) non-increasing, 1 ≤ b_t ≤ N, b_0 = N.
    """
    if batch_sizes is None:
        return None
    bs = np.asarray(batch_sizes, dtype=np.int64).reshape(-1)
    if bs.shape[0] != T:
        raise ValueError(f"{owner}: batch_sizes has {bs.shape[0]} steps, input has T={T}")
    if bs.size and (bs[0] != N or bs.min() < 1 or np.any(np.diff(bs) > 0)):
        raise ValueError(
            f"{owner}: batch_sizes must be non-increasing, start at the batch size {N} and stay "
            f"≥ 1 (sort sequences by decreasing length), got {bs.tolist()}"
        )
    return None if np.all(bs == N) else bs


def lengths_from_batch_sizes(bs, T, N):
    """Length of every row: the number of steps t with batch_sizes[t] > n.  Shape: (N,)."""
    if bs is None:
        return np.full(N, T, dtype=np.int64)
    return (bs[None, :] > np.arange(N)[:, None]).sum(axis=1)


def step_blas(rows, inner, cols):
    """The BLAS threading of a time loop whose step GEMM is (rows × inner)·(inner × cols):
    one thread below ``THREADED_STEP_MIN_WORK`` multiply-adds (``single_threaded_blas``)."""
    return single_threaded_blas(rows * inner * cols < THREADED_STEP_MIN_WORK)


def step_order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def active(bs, t, N):
    """Rows active at step t (a prefix)."""
    return N if bs is None else int(bs[t])


def prev_rows(seq, init, t, b, bs, reverse, scratch):
    """The state entering step t for the active rows ``[:b]``: a (b, H) array.

    Forward: seq[t−1] (init at t=0). Reverse: seq[t+1] for rows still running at t+1 and
    init for the rows that start at t. ``scratch (N, H)`` is filled only in the mixed case.
    """
    T = seq.shape[0]
    if not reverse:
        return init[:b] if t == 0 else seq[t - 1, :b]
    if t == T - 1:
        return init[:b]
    b_next = active(bs, t + 1, seq.shape[1])
    if b_next == b:
        return seq[t + 1, :b]
    out = scratch[:b]
    out[:b_next] = seq[t + 1, :b_next]
    out[b_next:] = init[b_next:b]
    return out


def shifted_prev(seq, init, lengths, reverse):
    """States entering every step, (T, N, H): the whole-sequence form of ``prev_rows``.

    Rows past their length are multiplied by zero gate gradients in the dW_hh GEMM, so they must
    hold finite values: 0·NaN from uninitialised memory would poison the weight gradient.
    """
    T, N = seq.shape[:2]
    out = np.empty_like(seq)
    if not reverse:
        out[0] = init
        out[1:] = seq[:-1]
    else:
        out[:-1] = seq[1:]
        out[-1] = 0  # rows shorter than T never write step T−1
        out[lengths - 1, np.arange(N)] = init  # each row starts at its own end
    return out


def last_state(seq, lengths, reverse):
    """h_n: each row's state after its last processed step.  Shape: (T, N, H) -> (N, H)."""
    if reverse:
        return seq[0].copy()
    return seq[lengths - 1, np.arange(seq.shape[1])]


def zeros_state(state, N, H, dtype):
    return np.zeros((N, H), dtype) if state is None else state


def buffer(shape, dtype, varlen):
    """A per-sequence buffer; zero-filled when rows past their length must read as zero."""
    return np.zeros(shape, dtype) if varlen else np.empty(shape, dtype)


def check_same_dtype(owner, x, *arrays):
    for a in arrays:
        if a is not None and a.dtype != x.dtype:
            raise ValueError(
                f"{owner}: all inputs and weights must share the input's dtype {x.dtype}, "
                f"got {a.dtype}"
            )


def sequence_preamble(owner, x, batch_sizes, *arrays):
    """The checks every kernel starts with; returns ``(T, N, D, bs, lengths)``.

    The arrays (states, weights, biases; None skipped) must share x's dtype; bs is
    ``check_batch_sizes``' result and lengths (N,) each row's number of steps.
    Shape: x (T, N, D).
    """
    check_same_dtype(owner, x, *arrays)
    T, N, D = x.shape
    bs = check_batch_sizes(batch_sizes, T, N, owner)
    return T, N, D, bs, lengths_from_batch_sizes(bs, T, N)


def summed_bias(b_ih, b_hh, size, dtype):
    """b_ih + b_hh as one (size,) vector added to the input projection; None counts as zero."""
    b = np.zeros(size, dtype)
    if b_ih is not None:
        b += b_ih
    if b_hh is not None:
        b += b_hh
    return b


# -- packed <-> padded layout ------------------------------------------------------------------
def packed_index(batch_sizes, B):
    """Flat index into a padded (T, B) grid of every packed row, in packed order."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    T = bs.shape[0]
    grid = np.arange(T * B, dtype=np.int64).reshape(T, B)
    mask = np.arange(B)[None, :] < bs[:, None]  # (T, B)
    return grid[mask]  # row-major: step by step, each step's rows in batch order


def pad_packed_forward(data, index, T, B, padding_value=0.0):
    """Scatter packed rows into a padded time-major array.

    Shape: data (S, *) with S = Σ_t b_t, index (S,) -> out (T, B, *)
    """
    out = np.full((T * B,) + data.shape[1:], padding_value, dtype=data.dtype)
    out[index] = data
    return out.reshape((T, B) + data.shape[1:]), (index, data.shape)


def pad_packed_backward(grad, cache):
    index, shape = cache
    flat = grad.reshape((-1,) + grad.shape[2:])
    return flat[index], None  # each packed row came from one padded cell


def pack_padded_forward(x, index):
    """Gather the valid rows of a padded time-major array into the packed layout.

    Shape: x (T, B, *), index (S,) -> out (S, *)
    """
    flat = x.reshape((-1,) + x.shape[2:])
    return flat[index], (index, x.shape)


def pack_padded_backward(grad, cache):
    index, shape = cache
    out = np.zeros((shape[0] * shape[1],) + shape[2:], dtype=grad.dtype)
    out[index] = grad  # indices are distinct: plain assignment is the scatter-add
    return out.reshape(shape), None


def pad_packed(data, batch_sizes, padding_value=0.0, total_length=None):
    """Differentiable packed (S, *) -> padded (T, B, *) for a gradwise Tensor.

    T is ``total_length`` when given (≥ the number of steps), else len(batch_sizes).
    """
    bs = np.asarray(batch_sizes, dtype=np.int64)
    T, B = int(bs.shape[0]), int(bs[0]) if bs.size else 0
    if total_length is not None:
        T = int(total_length)
    return apply_op(pad_packed_forward, pad_packed_backward, data, packed_index(bs, B),
                    T=T, B=B, padding_value=padding_value, name="pad_packed")


def pack_padded(x, batch_sizes):
    """Differentiable padded (T, B, *) -> packed (S, *) for a gradwise Tensor."""
    return apply_op(pack_padded_forward, pack_padded_backward, x,
                    packed_index(batch_sizes, x.shape[1]), name="pack_padded")


def pad_sequence_forward(*xs, batch_first=False, padding_value=0.0, left=False):
    """Stack sequences of different lengths into one padded array.

    Shape: xs[k] (L_k, *) -> out (max L, K, *) or (K, max L, *) with batch_first
    """
    L = max(x.shape[0] for x in xs)
    out = np.full((len(xs), L) + xs[0].shape[1:], padding_value, dtype=xs[0].dtype)
    for k, x in enumerate(xs):
        if left:
            out[k, L - x.shape[0]:] = x
        else:
            out[k, :x.shape[0]] = x
    lengths = [x.shape[0] for x in xs]
    if not batch_first:
        out = np.ascontiguousarray(out.swapaxes(0, 1))
    return out, (lengths, L, batch_first, left)


def pad_sequence_backward(grad, cache):
    lengths, L, batch_first, left = cache
    g = grad if batch_first else grad.swapaxes(0, 1)  # (K, L, *)
    return tuple((g[k, L - n:] if left else g[k, :n]).copy() for k, n in enumerate(lengths))
