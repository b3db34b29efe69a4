"""Variable-length batches in PyTorch's packed layout: PackedSequence and its helpers.

A batch of sequences sorted by decreasing length is stored time step by time step:
``data (Σ_t b_t, *)`` holds the b_t rows still running at step t, and ``batch_sizes (T,)`` lists
the b_t. ``sorted_indices`` maps the sorted batch back to the caller's order (None when the
caller's batch was already sorted). RNN/LSTM/GRU accept a PackedSequence and return one; the
outputs past each length are never computed, the reverse direction starts at each sequence's end
and h_n holds each sequence's last valid step.

Differences from PyTorch: ``batch_sizes``, ``sorted_indices`` and ``unsorted_indices`` are int64
NumPy arrays (PyTorch uses CPU int64 tensors); errors are ``ValueError``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ...core import apply_op
from ...core.tensor import Tensor
from ...functional.rnn_common import (
    pack_padded, pad_packed, pad_sequence_backward, pad_sequence_forward,
)
from ...functional.shape import index_select

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpack_sequence", "unpad_sequence", "invert_permutation"]


def invert_permutation(permutation):
    if permutation is None:
        return None
    perm = np.asarray(permutation, dtype=np.int64)
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.shape[0], dtype=np.int64)
    return out


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed variable-length batch (see the module docstring).

    Shape: data (Σ_t batch_sizes[t], *), batch_sizes (T,), sorted_indices (B,) or None
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required")
        batch_sizes = np.asarray(batch_sizes.array if isinstance(batch_sizes, Tensor)
                                 else batch_sizes, dtype=np.int64)
        if sorted_indices is not None:
            sorted_indices = np.asarray(sorted_indices, dtype=np.int64)
            if unsorted_indices is None:
                unsorted_indices = invert_permutation(sorted_indices)
        elif unsorted_indices is not None:
            unsorted_indices = np.asarray(unsorted_indices, dtype=np.int64)
        if not isinstance(data, Tensor):
            data = Tensor(np.asarray(data))
        if batch_sizes.ndim != 1 or (batch_sizes.size and batch_sizes.min() < 1):
            raise ValueError(f"PackedSequence: batch_sizes must be a 1-D sequence of positive "
                             f"ints, got {batch_sizes.tolist()}")
        if (np.diff(batch_sizes) > 0).any():  # a sequence cannot restart after it has ended
            raise ValueError(f"PackedSequence: batch_sizes must be non-increasing (sequences "
                             f"sorted by decreasing length), got {batch_sizes.tolist()}")
        if data.shape[0] != int(batch_sizes.sum()):
            raise ValueError(
                f"PackedSequence: data has {data.shape[0]} rows but batch_sizes sum to "
                f"{int(batch_sizes.sum())}"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False

    def to(self, *args, **kwargs):
        """Cast ``data`` (e.g. ``to(np.float64)``); the index arrays are unchanged."""
        dtype = kwargs.get("dtype", args[0] if args else None)
        if dtype is None or isinstance(dtype, str):
            return self
        return type(self)(self.data.to(dtype), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)


def _lengths_array(lengths, owner):
    if isinstance(lengths, Tensor):
        lengths = lengths.array
    arr = np.asarray(lengths)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{owner}: lengths must be a 1-D sequence of ints, got {arr!r}")
    return arr.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input: padded batch, time-major unless ``batch_first``.
        lengths: length of each sequence (list, array or int Tensor).
        enforce_sorted: require ``lengths`` sorted in decreasing order; with False the batch is
            sorted here and ``sorted_indices`` records the permutation.

    Shape: input (T, B, *) or (B, T, *) -> PackedSequence with data (Σ lengths, *)
    """
    lengths = _lengths_array(lengths, "pack_padded_sequence")
    B = input.shape[0] if batch_first else input.shape[1]
    T = input.shape[1] if batch_first else input.shape[0]
    if lengths.shape[0] != B:
        raise ValueError(
            f"pack_padded_sequence: expected {B} lengths (the batch size), got {lengths.shape[0]}"
        )
    if lengths.size and lengths.min() <= 0:
        raise ValueError("pack_padded_sequence: Length of all samples has to be greater than 0, "
                         f"but found an element in 'lengths' that is <= 0: {lengths.tolist()}")
    if lengths.size and lengths.max() > T:
        raise ValueError(
            f"pack_padded_sequence: a length ({int(lengths.max())}) exceeds the padded sequence "
            f"length {T} of the input {tuple(input.shape)} (batch_first={batch_first})"
        )
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(
                "pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
                "`enforce_sorted` is True, got "
                f"{lengths.tolist()}. You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement."
            )
        sorted_indices = None
    else:
        sorted_indices = np.argsort(-lengths, kind="stable")
        lengths = lengths[sorted_indices]
    if batch_first:
        input = input.transpose(0, 1)
    if sorted_indices is not None:
        input = index_select(input, 1, sorted_indices)
    Lmax = int(lengths[0])
    if Lmax < T:
        input = input[:Lmax]
    batch_sizes = (lengths[None, :] > np.arange(Lmax)[:, None]).sum(axis=1)
    return PackedSequence(pack_padded(input, batch_sizes), batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of ``pack_padded_sequence``: pad a PackedSequence back to a dense batch.

    Returns:
        (padded, lengths): padded in the caller's original batch order and an int64 Tensor of
        the lengths.

    Shape: data (Σ lengths, *) -> padded (T, B, *) or (B, T, *), T = total_length or max length
    """
    bs = np.asarray(sequence.batch_sizes, dtype=np.int64)
    T = int(bs.shape[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "pad_packed_sequence: Expected total_length to be at least the length of the "
                f"longest sequence in input, but got total_length={total_length} and max "
                f"sequence length being {T}"
            )
    padded = pad_packed(sequence.data, bs, padding_value, total_length)  # (T, B, *)
    B = int(bs[0]) if T else 0
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(axis=1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        padded = index_select(padded, 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Pad a list of (L_k, *) Tensors to the longest length.

    Shape: sequences[k] (L_k, *) -> (max L, K, *), or (K, max L, *) with batch_first
    """
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    trailing = sequences[0].shape[1:]
    for k, s in enumerate(sequences):
        if s.ndim < 1 or s.shape[1:] != trailing:
            raise ValueError(f"pad_sequence: sequence {k} has shape {tuple(s.shape)}, expected "
                             f"(L, {', '.join(map(str, trailing))})")
    tensors = [s if isinstance(s, Tensor) else Tensor(np.asarray(s)) for s in sequences]
    return apply_op(pad_sequence_forward, pad_sequence_backward, *tensors,
                    batch_first=batch_first, padding_value=padding_value,
                    left=padding_side == "left", name="pad_sequence")


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_k, *) Tensors: ``pack_padded_sequence(pad_sequence(seqs), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch into a list of Tensors of their own lengths."""
    lengths = _lengths_array(lengths, "unpad_sequence")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[k, :int(n)] for k, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """Split a PackedSequence into the list of its sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def sequence_mask(lengths, max_len=None, batch_first=False):
    """Boolean mask of the valid steps of a padded batch: mask[t, n] = t < lengths[n].

    Shape: lengths (N,) -> (T, N), or (N, T) with batch_first; T = max_len or max(lengths).
    """
    lens = _lengths_array(lengths, "sequence_mask")
    T = int(lens.max(initial=0)) if max_len is None else int(max_len)
    if lens.size and lens.max() > T:
        raise ValueError(f"sequence_mask: a length of {int(lens.max())} exceeds max_len {T}")
    mask = np.arange(T)[:, None] < lens[None, :]  # (T, N)
    return Tensor(mask.T.copy() if batch_first else mask)


def masked_mean(values, mask):
    """Mean of ``values`` over the positions where ``mask`` is True (a masked loss):

        L = Σ_{t,n} mask[t,n]·values[t,n] / Σ mask

    Shape: values and mask of the same shape (e.g. per-token losses from
    ``cross_entropy(..., reduction='none')`` and ``sequence_mask(lengths)``) -> scalar.
    """
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if m.shape != values.shape:
        raise ValueError(f"masked_mean: mask shape {m.shape} does not match values {values.shape}")
    count = int(m.sum())
    if count == 0:
        raise ValueError("masked_mean: the mask selects no position")
    return (values * m.astype(values.dtype)).sum() / count
