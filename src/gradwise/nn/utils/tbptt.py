"""Truncated backpropagation through time: carry the state across chunks, cut the graph.

Language-model training (Zaremba et al. 2014) feeds a long token stream in windows of ``bptt``
steps; the hidden state of one window starts the next, but gradients stop at the window border:

    for x, y in chunk_sequence(inputs, targets, chunk_len=35):
        hidden = detach_hidden(hidden)            # keep the values, drop the graph
        out, hidden = lstm(x, hidden)
        loss = criterion(out, y); loss.backward(); opt.step()
"""
from __future__ import annotations

from ...core.tensor import Tensor

__all__ = ["detach_hidden", "chunk_sequence"]


def detach_hidden(hidden):
    """Detach a hidden state from its graph: a Tensor, or (nested) tuples/lists of Tensors.

    None passes through, so the first chunk can start from ``hidden = None``.
    """
    if hidden is None:
        return None
    if isinstance(hidden, Tensor):
        return hidden.detach()
    if isinstance(hidden, (tuple, list)):
        return type(hidden)(detach_hidden(h) for h in hidden)
    raise TypeError(f"detach_hidden: expected a Tensor or a tuple/list of Tensors, got "
                    f"{type(hidden).__name__}")


def chunk_sequence(*sequences, chunk_len, dim=0, drop_last=False):
    """Yield aligned windows of ``chunk_len`` steps along ``dim`` from each sequence.

    Args:
        *sequences: Tensors (or NumPy arrays) sharing the length along ``dim``.
        chunk_len: window length (the truncation horizon of BPTT).
        dim: time dimension (0 for time-major, 1 for batch_first).
        drop_last: skip a final window shorter than ``chunk_len``.

    Yields:
        one window per sequence (a tuple when several sequences are given).
    """
    if not sequences:
        raise ValueError("chunk_sequence: expected at least one sequence")
    if not isinstance(chunk_len, int) or chunk_len < 1:
        raise ValueError(f"chunk_sequence: chunk_len must be a positive int, got {chunk_len!r}")
    T = sequences[0].shape[dim]
    for k, s in enumerate(sequences):
        if s.shape[dim] != T:
            raise ValueError(f"chunk_sequence: sequence {k} has length {s.shape[dim]} along dim "
                             f"{dim}, sequence 0 has {T}")
    for start in range(0, T, chunk_len):
        stop = min(start + chunk_len, T)
        if drop_last and stop - start < chunk_len:
            return
        window = []
        for s in sequences:
            index = [slice(None)] * s.ndim
            index[dim] = slice(start, stop)
            window.append(s[tuple(index)])
        yield window[0] if len(window) == 1 else tuple(window)
