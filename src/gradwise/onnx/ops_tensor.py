"""Tensor ops -> ONNX: arithmetic, activations, softmax, reductions and shape ops."""
from __future__ import annotations

import math

import numpy as np
from onnx import helper

from ..core.tensor import Tensor
from .registry import broadcast, carry, maps, unsupported

_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
           "maximum": "Max", "minimum": "Min"}
_UNARY = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "abs": "Abs", "neg": "Neg", "sin": "Sin", "cos": "Cos"}


def _sym(g, x):
    """Symbolic shape of an input: traced values keep theirs, constants are static."""
    name = g.lookup(x)
    if name is not None:
        return g.shapes[name]
    return tuple(np.shape(x.array if isinstance(x, Tensor) else x))


@maps(*_BINARY)
def binary(g, op):
    a, b = op.inputs
    dtype = op.outputs[0].dtype
    y = g.node(_BINARY[op.name], [g.value(a, dtype), g.value(b, dtype)])
    return [(y, broadcast(_sym(g, a), _sym(g, b)))]


@maps(*_UNARY)
def unary(g, op):
    x = op.inputs[0]
    return [(g.node(_UNARY[op.name], [g.value(x)]), _sym(g, x))]


@maps("leaky_relu")
def leaky_relu(g, op):
    x = op.inputs[0]
    return [(g.node("LeakyRelu", [g.value(x)], alpha=float(op.config["negative_slope"])),
             _sym(g, x))]


@maps("elu")
def elu(g, op):
    x = op.inputs[0]
    return [(g.node("Elu", [g.value(x)], alpha=float(op.config["alpha"])), _sym(g, x))]


@maps("gelu")
def gelu(g, op):
    """Gelu (opset 20), else ½x(1 + erf(x/√2)), or the tanh form for approximate='tanh'."""
    x = op.inputs[0]
    dt = x.dtype
    c = lambda v: g.const(np.asarray(v, dt))  # noqa: E731
    xv = g.value(x)
    if g.opset >= 20:
        return [(g.node("Gelu", [xv], approximate=op.config["approximate"]), _sym(g, x))]
    if op.config["approximate"] == "tanh":
        # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        x3 = g.node("Mul", [g.node("Mul", [xv, xv]), xv])
        inner = g.node("Add", [xv, g.node("Mul", [x3, c(0.044715)])])
        t = g.node("Tanh", [g.node("Mul", [inner, c(math.sqrt(2 / math.pi))])])
    else:
        t = g.node("Erf", [g.node("Div", [xv, c(math.sqrt(2.0))])])
    y = g.node("Mul", [g.node("Mul", [xv, c(0.5)]), g.node("Add", [t, c(1.0)])])
    return [(y, _sym(g, x))]


@maps("softplus")
def softplus(g, op):
    """y = log(1 + e^{βx})/β, and x where βx > threshold (PyTorch's linear tail)."""
    x = op.inputs[0]
    dt = x.dtype
    beta, thr = op.config["beta"], op.config["threshold"]
    xv = g.value(x)
    bx = g.node("Mul", [xv, g.const(np.asarray(beta, dt))])
    soft = g.node("Div", [g.node("Softplus", [bx]), g.const(np.asarray(beta, dt))])
    tail = g.node("Greater", [bx, g.const(np.asarray(thr, dt))])
    return [(g.node("Where", [tail, xv, soft]), _sym(g, x))]


@maps("clamp")
def clamp(g, op):
    x = op.inputs[0]
    dt = x.dtype
    lo, hi = op.config["min"], op.config["max"]
    bound = lambda v: None if v is None else g.value(v, dt)  # noqa: E731
    return [(g.node("Clip", [g.value(x), bound(lo), bound(hi)]), _sym(g, x))]


@maps("where")
def where(g, op):
    cond, a, b = op.inputs
    dt = op.outputs[0].dtype
    y = g.node("Where", [g.value(cond), g.value(a, dt), g.value(b, dt)])
    return [(y, broadcast(_sym(g, cond), _sym(g, a), _sym(g, b)))]


@maps("masked_fill")
def masked_fill(g, op):
    x, mask = op.inputs
    y = g.node("Where", [g.value(mask), g.const(np.asarray(op.config["value"], x.dtype)),
                         g.value(x)])
    return [(y, _sym(g, x))]


@maps("to")
def cast(g, op):
    x = op.inputs[0]
    to = helper.np_dtype_to_tensor_dtype(op.outputs[0].dtype)
    return [(g.node("Cast", [g.value(x)], to=to), _sym(g, x))]


@maps("softmax", "log_softmax")
def softmax(g, op):
    x = op.inputs[0]
    kind = "Softmax" if op.name == "softmax" else "LogSoftmax"
    return [(g.node(kind, [g.value(x)], axis=int(op.config["dim"])), _sym(g, x))]


# -- reductions ------------------------------------------------------------------------------
def _axes(dim, ndim):
    if dim is None:
        return list(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return sorted(int(d) % ndim for d in dims)


def _reduce(g, op, kind, axes, keepdim):
    """Reduce* with axes as an input (ReduceSum ≥ 13, the others ≥ 18) or an attribute."""
    x = op.inputs[0]
    as_input = kind == "ReduceSum" or g.opset >= 18
    if as_input:
        y = g.node(kind, [g.value(x), g.ints(axes)], keepdims=int(keepdim))
    else:
        y = g.node(kind, [g.value(x)], axes=axes, keepdims=int(keepdim))
    s = _sym(g, x)
    shape = tuple(1 if i in axes else d for i, d in enumerate(s)) if keepdim else \
        tuple(d for i, d in enumerate(s) if i not in axes)
    return y, shape


@maps("sum", "mean", "amax", "amin", "logsumexp")
def reduce(g, op):
    kind = {"sum": "ReduceSum", "mean": "ReduceMean", "amax": "ReduceMax", "amin": "ReduceMin",
            "logsumexp": "ReduceLogSumExp"}[op.name]
    x = op.inputs[0]
    return [_reduce(g, op, kind, _axes(op.config["dim"], x.ndim), op.config["keepdim"])]


@maps("max", "min")
def max_min(g, op):
    """values of max/min over one dim (recorded keepdim; indices are not exported)."""
    kind = "ReduceMax" if op.name == "max" else "ReduceMin"
    return [_reduce(g, op, kind, [int(op.config["dim"])], True)]


# -- shape ops --------------------------------------------------------------------------------
@maps("reshape")
def reshape(g, op):
    """Reshape with 0 where an output dim copies a dynamic input dim in place, -1 where the
    remaining dynamic dims merge, the traced size elsewhere."""
    x = op.inputs[0]
    s_in = _sym(g, x)
    out = tuple(op.outputs[0].shape)
    target = list(op.config["shape"])
    # only size-1 dims inserted or removed (unsqueeze/squeeze): Squeeze then Unsqueeze, so
    # that dynamic dims may move position
    core = [(i, d) for i, d in enumerate(s_in) if d != 1]
    out_ones = [i for i, d in enumerate(out) if d == 1]
    if [x.shape[i] for i, _ in core] == [d for d in out if d != 1] and \
            any(isinstance(d, str) for _, d in core):
        y = g.value(x)
        in_ones = [i for i, d in enumerate(s_in) if d == 1]
        if in_ones:
            y = g.node("Squeeze", [y, g.ints(in_ones)])
        if out_ones:
            y = g.node("Unsqueeze", [y, g.ints(out_ones)])
        dims = iter(d for _, d in core)
        return [(y, tuple(1 if d == 1 else next(dims) for d in out))]
    spec, sym = list(out), list(out)
    copied = set()
    for i, d_out in enumerate(out):
        # copy in place: a dynamic dim whose leading dims hold the same number of elements
        if i < len(s_in) and isinstance(s_in[i], str) and d_out == x.shape[i] and \
                math.prod(out[:i]) == math.prod(x.shape[:i]) and \
                all(j in copied or not isinstance(s_in[j], str) for j in range(i)):
            spec[i], sym[i] = 0, s_in[i]
            copied.add(i)
    left = [s_in[j] for j in range(len(s_in)) if isinstance(s_in[j], str) and j not in copied]
    if left:
        free = [i for i in range(len(out)) if i not in copied]
        minus = [i for i in free if i < len(target) and target[i] == -1]
        pick = minus or (free if len(free) == 1 else [])
        if not pick:
            unsupported(op, f"cannot tell which dims of the target shape {tuple(out)} follow "
                            f"the dynamic dims {left} of the input; reshape with -1 there")
        spec[pick[0]], sym[pick[0]] = -1, "*".join(left)
    y = g.node("Reshape", [g.value(x), g.ints(spec)])
    return [(y, tuple(sym))]


@maps("permute")
def permute(g, op):
    x = op.inputs[0]
    dims = list(op.config["dims"])
    s = _sym(g, x)
    return [(g.node("Transpose", [g.value(x)], perm=dims), tuple(s[d] for d in dims))]


@maps("expand")
def expand(g, op):
    """Expand with 1 where the output keeps the input's size (dynamic dims stay dynamic)."""
    x = op.inputs[0]
    s = _sym(g, x)
    out = op.outputs[0].shape
    lead = len(out) - len(s)
    spec, sym = [], []
    for i, d in enumerate(out):
        j = i - lead
        if j >= 0 and x.shape[j] == d:
            spec.append(1)
            sym.append(s[j])
        else:
            spec.append(d)
            sym.append(d)
    return [(g.node("Expand", [g.value(x), g.ints(spec)]), tuple(sym))]


@maps("repeat")
def repeat(g, op):
    x = op.inputs[0]
    out = op.outputs[0].shape
    s = _sym(g, x)
    lead = len(out) - len(s)
    xv = g.value(x)
    if lead:
        xv = g.node("Unsqueeze", [xv, g.ints(list(range(lead)))])
        s = (1,) * lead + tuple(s)
    in_shape = (1,) * lead + tuple(x.shape)
    reps = [o // i for o, i in zip(out, in_shape)]
    if any(r != 1 and isinstance(d, str) for r, d in zip(reps, s)):
        unsupported(op, "repeating along a dynamic axis")
    y = g.node("Tile", [xv, g.ints(reps)])
    return [(y, tuple(d if r == 1 else o for d, r, o in zip(s, reps, out)))]


@maps("cat")
def cat(g, op):
    d = int(op.config["dim"])
    shapes = [_sym(g, x) for x in op.inputs]
    sym = list(shapes[0])
    dyn = [s[d] for s in shapes if isinstance(s[d], str)]
    sym[d] = dyn[0] if dyn else int(op.outputs[0].shape[d])
    y = g.node("Concat", [g.value(x) for x in op.inputs], axis=d)
    return [(y, tuple(sym))]


@maps("pad")
def pad(g, op):
    """Pad (negative widths crop); PyTorch's (last_left, last_right, ...) to ONNX's
    (x1_begin, ..., xn_begin, x1_end, ..., xn_end)."""
    x = op.inputs[0]
    c = op.config
    n = x.ndim
    begin, end = [0] * n, [0] * n
    for i in range(len(c["pad"]) // 2):
        begin[n - 1 - i], end[n - 1 - i] = c["pad"][2 * i], c["pad"][2 * i + 1]
    mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}.get(c["mode"])
    if c["mode"] == "circular" and g.opset >= 19:
        mode = "wrap"
    if mode is None:
        unsupported(op, f"padding mode {c['mode']!r} needs opset 19 (Pad mode 'wrap'), "
                        f"exporting opset {g.opset}")
    s = _sym(g, x)
    if any(isinstance(s[i], str) and (begin[i] or end[i]) for i in range(n)) and mode != \
            "constant":
        unsupported(op, "non-constant padding along a dynamic axis")
    inputs = [g.value(x), g.ints(begin + end)]
    if mode == "constant":
        inputs.append(g.const(np.asarray(c["value"], x.dtype)))
    y = g.node("Pad", inputs, mode=mode)
    return [(y, carry(s, op.outputs[0].shape))]


_BIG = np.iinfo(np.int64).max


def _expand_index(index, ndim):
    """The index as a tuple with Ellipsis replaced and trailing full slices added."""
    index = index if isinstance(index, tuple) else (index,)
    is_ellipsis = [i is Ellipsis for i in index]
    n_real = sum(1 for i, e in zip(index, is_ellipsis) if i is not None and not e)
    if any(is_ellipsis):
        k = is_ellipsis.index(True)
        index = index[:k] + (slice(None),) * (ndim - n_real) + index[k + 1:]
    return index + (slice(None),) * (ndim - sum(1 for i in index if i is not None))


@maps("getitem")
def getitem(g, op):
    """Basic indexing: slices (Slice, with Python's clamping, so that they follow a dynamic
    axis), integers (Gather of a scalar: the dim goes), None (Unsqueeze) and one integer
    array (Gather)."""
    x = op.inputs[0]
    s = list(_sym(g, x))
    y = g.value(x)
    starts, ends, axes, steps = [], [], [], []
    gathers, news = [], []
    axis, out_pos = 0, 0
    for item in _expand_index(op.config["index"], x.ndim):
        if item is None:
            news.append(out_pos)
            out_pos += 1
            continue
        if isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else int(item.step)
                default_start, default_stop = (0, _BIG) if step > 0 else (_BIG, -_BIG - 1)
                starts.append(default_start if item.start is None else int(item.start))
                ends.append(default_stop if item.stop is None else int(item.stop))
                axes.append(axis), steps.append(step)
                if not isinstance(s[axis], str):
                    s[axis] = len(range(*item.indices(x.shape[axis])))
            out_pos += 1
        elif isinstance(item, (int, np.integer)):
            gathers.append((axis, np.asarray(int(item), np.int64)))
        elif isinstance(item, np.ndarray) and np.issubdtype(item.dtype, np.integer):
            gathers.append((axis, item.astype(np.int64)))
            out_pos += item.ndim
        else:
            unsupported(op, f"index {type(item).__name__} {item!r:.40} (boolean masks are not "
                            "exported)")
        axis += 1
    if sum(1 for _, idx in gathers if idx.ndim) > 1:
        unsupported(op, "more than one integer-array index")
    if starts:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    shift = 0  # dims removed (scalar) or added (array) by earlier gathers
    for ax, idx in gathers:
        a = ax + shift
        y = g.node("Gather", [y, g.const(idx)], axis=a)
        s[a:a + 1] = list(idx.shape)
        shift += idx.ndim - 1
    if news:
        y = g.node("Unsqueeze", [y, g.ints(news)])
        for p in news:
            s.insert(p, 1)
    out = op.outputs[0].shape
    if len(s) != len(out) or any(not isinstance(d, str) and d != o for d, o in zip(s, out)):
        unsupported(op, f"index {op.config['index']!r:.60} (the exporter's shape "
                        f"{tuple(s)} disagrees with {out})")
    return [(y, tuple(s))]


@maps("gather")
def gather(g, op):
    x, idx = op.inputs
    y = g.node("GatherElements", [g.value(x), g.value(np.asarray(idx, np.int64))],
               axis=int(op.config["dim"]))
    return [(y, _sym(g, idx) if g.lookup(idx) else carry(_sym(g, x), op.outputs[0].shape))]
