"""Shape ops: reshape, permute, expand, indexing, cat/stack/split, pad, masked_fill, one_hot."""
from __future__ import annotations

import math

import numpy as np

from ..core import apply_op
from ..core.factories import as_tensor, unwrap
from ..core.tensor import as_array
from .reduce import _axes


def _size(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def reshape_forward(x, shape):
    try:
        return x.reshape(shape), x.shape
    except ValueError:
        raise ValueError(
            f"reshape: shape {tuple(shape)} is invalid for input of shape {x.shape} "
            f"({x.size} elements)"
        ) from None


def reshape_backward(g, in_shape):
    return g.reshape(in_shape)


def reshape(input, *shape):
    return apply_op(reshape_forward, reshape_backward, input, shape=_size(shape))


view = reshape


def flatten(input, start_dim=0, end_dim=-1):
    shape = input.shape
    if not shape:
        return reshape(input, 1)
    s, e = start_dim % len(shape), end_dim % len(shape)
    # the flattened size spelled out, not -1, which is ambiguous when another axis is 0
    return reshape(input, *shape[:s], math.prod(shape[s:e + 1]), *shape[e + 1:])


def unflatten(input, dim, sizes):
    shape = input.shape
    d = dim % len(shape)
    return reshape(input, *shape[:d], *sizes, *shape[d + 1:])


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = _axes(dim, len(shape))
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    shape = list(input.shape)
    d = dim % (len(shape) + 1)
    shape.insert(d, 1)
    return reshape(input, shape)


def unbatched(fn, input, *args, **kwargs):
    """``fn`` on PyTorch's unbatched form of its input, e.g. (C, L) or (C, H, W): a batch axis of
    1 goes in before ``fn`` and comes off every output after (pooling's indices too); gradients
    flow back through both reshapes."""
    out = fn(unsqueeze(input, 0), *args, **kwargs)
    return tuple(squeeze(o, 0) for o in out) if isinstance(out, tuple) else squeeze(out, 0)


def permute_forward(x, dims):
    return np.transpose(x, dims), dims


def permute_backward(g, dims):
    return np.transpose(g, np.argsort(dims))


def permute(input, *dims):
    dims = _size(dims)
    if sorted(d % input.ndim for d in dims) != list(range(input.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {input.ndim} dims")
    return apply_op(permute_forward, permute_backward, input, dims=tuple(d % input.ndim for d in dims))


def transpose(input, dim0, dim1):
    dims = list(range(input.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(input, dims)


def t(input):
    return transpose(input, 0, 1) if input.ndim == 2 else input


def expand_forward(x, shape):
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to fewer dims {tuple(shape)}")
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        return np.broadcast_to(x, full), x.shape
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}") from None


def expand_backward(g, in_shape):
    from .elementwise import unbroadcast

    return unbroadcast(g, in_shape)


def expand(input, *sizes):
    return apply_op(expand_forward, expand_backward, input, shape=_size(sizes))


def expand_as(input, other):
    return expand(input, other.shape)


def repeat(input, *sizes):
    """Tile like torch.Tensor.repeat."""
    reps = _size(sizes)

    def forward(x):
        return np.tile(x, reps), x.shape

    def backward(g, in_shape):
        lead = len(reps) - len(in_shape)
        full = (1,) * lead + tuple(in_shape)
        split = []
        for r, s in zip(reps, full):
            split += [r, s]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(in_shape)

    return apply_op(forward, backward, input, name="repeat")


# -- indexing --------------------------------------------------------------------------------
def _index_arrays(index):
    """Replace Tensors inside an index with their arrays."""
    if isinstance(index, tuple):
        return tuple(_index_arrays(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return unwrap(index)


def getitem_forward(x, index):
    return x[index], (x.shape, index)


def getitem_backward(g, cache):
    shape, index = cache
    out = np.zeros(shape, g.dtype)
    np.add.at(out, index, g)  # scatter-add: repeated integer indices accumulate
    return out


def getitem(input, index):
    """Basic slicing, integer-array gather and boolean masks, with gradient."""
    return apply_op(getitem_forward, getitem_backward, input, index=_index_arrays(index))


def gather(input, dim, index):
    idx = as_array(index)
    return apply_op(_gather_forward, _gather_backward, input, idx, dim=dim, name="gather")


def _gather_forward(x, index, dim):
    return np.take_along_axis(x, index, axis=dim), (x.shape, index, dim)


def _gather_backward(g, cache):
    shape, index, dim = cache
    out = np.zeros(shape, g.dtype)
    # scatter-add along dim: build full index grids so repeated indices accumulate
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    np.add.at(out, tuple(grids), g)
    return out, None


def index_select(input, dim, index):
    idx = as_array(index)
    sl = [slice(None)] * input.ndim
    sl[dim] = idx
    return getitem(input, tuple(sl))


# -- joining and splitting ---------------------------------------------------------------------
def cat_forward(*xs, dim=0):
    sizes = [x.shape[dim] for x in xs]
    return np.concatenate(xs, axis=dim), (sizes, dim)


def cat_backward(g, cache):
    sizes, dim = cache
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=dim))


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ref = tensors[0].shape
    d = dim % len(ref)
    for i, x in enumerate(tensors):
        if len(x.shape) != len(ref) or any(a != b for k, (a, b) in enumerate(zip(x.shape, ref)) if k != d):
            raise ValueError(
                f"cat: sizes must match except in dim {dim}; tensor 0 has shape {ref}, "
                f"tensor {i} has shape {x.shape}"
            )
    return apply_op(cat_forward, cat_backward, *tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise ValueError(
                f"stack: expects each tensor to be equal size, but got {tensors[0].shape} at "
                f"entry 0 and {x.shape} at entry {i}"
            )
    d = dim % (tensors[0].ndim + 1)
    return cat([unsqueeze(x, d) for x in tensors], dim=d)


def split(input, split_size_or_sections, dim=0):
    n = input.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not sum to dim {dim} size {n}")
    out, start = [], 0
    for s in sizes:
        sl = [slice(None)] * input.ndim
        sl[dim] = slice(start, start + s)
        out.append(getitem(input, tuple(sl)))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    n = input.shape[dim]
    return split(input, -(-n // chunks), dim)


def unbind(input, dim=0):
    return tuple(squeeze(x, dim) for x in split(input, 1, dim))


def pad_forward(x, pad, mode="constant", value=0.0):
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and ≤ 2·ndim ({x.ndim})")
    # PyTorch order: (last_left, last_right, second_last_left, ...)
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(
        slice(-min(lo, 0) or None, (s + min(hi, 0)) if hi < 0 else None)
        for s, (lo, hi) in zip(x.shape, widths)
    )
    x_c = x[crop]
    pos = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        out = np.pad(x_c, pos, mode="constant", constant_values=value)
    elif mode in ("reflect", "replicate", "circular"):
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        out = np.pad(x_c, pos, mode=np_mode)
    else:
        raise ValueError(f"pad: unknown mode {mode!r}")
    return out, (x.shape, x_c.shape, crop, pos, mode)


def pad_backward(g, cache):
    shape, inner_shape, crop, pos, mode = cache
    if mode != "constant":
        # adjoint of np.pad for index-copy modes: scatter-add each output into its source
        src = np.arange(int(np.prod(inner_shape))).reshape(inner_shape)
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        idx = np.pad(src, pos, mode=np_mode)
        inner = np.zeros(src.size, g.dtype)
        np.add.at(inner, idx.reshape(-1), g.reshape(-1))
        inner = inner.reshape(src.shape)
    else:
        inner = g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(pos))]
    out = np.zeros(shape, g.dtype)
    out[crop] = inner
    return out


def pad(input, pad, mode="constant", value=0.0):  # noqa: A002 (torch name)
    """Pad the last dims; ``pad`` = (left, right, top, bottom, ...) as in F.pad. Negative crops."""
    return apply_op(pad_forward, pad_backward, input, pad=tuple(pad), mode=mode, value=value)


def masked_fill_forward(x, mask, value):
    return np.where(mask, np.asarray(value, x.dtype), x), mask


def masked_fill_backward(g, mask):
    return np.where(mask, np.zeros((), g.dtype), g), None


def masked_fill(input, mask, value):
    """Replace entries where the (broadcastable) boolean mask is True with value."""
    m = as_array(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be bool, got {m.dtype}")
    m = np.broadcast_to(m, np.broadcast_shapes(m.shape, input.shape))
    if m.shape != input.shape:
        raise ValueError(f"masked_fill: mask shape {m.shape} does not broadcast to {input.shape}")
    return apply_op(masked_fill_forward, masked_fill_backward, input, m, value=value)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a new last dim of size num_classes."""
    idx = as_array(tensor)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"one_hot: expected an integer tensor, got {idx.dtype}")
    n = int(idx.max()) + 1 if num_classes < 0 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got [{idx.min()}, {idx.max()}]")
    return as_tensor((idx[..., None] == np.arange(n)).astype(np.int64))
