"""Layer ops -> ONNX: Linear (Gemm), convolutions, pooling, normalisation, dropout, embedding,
interpolation."""
from __future__ import annotations

import numpy as np

from .registry import broadcast, carry, maps, unsupported


def _out(op, i=0):
    return op.outputs[i]


@maps("linear")
def linear(g, op):
    """y = x·Wᵀ + b: Gemm(transB=1) for 2-D x, else MatMul(x, Wᵀ) + b."""
    x, w, b = op.inputs
    xs = g.shape_of(x)
    shape = xs[:-1] + (int(w.shape[0]),)
    if len(xs) == 2:
        inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        return [(g.node("Gemm", inputs, transB=1), shape)]
    wt = g.node("Transpose", [g.value(w)], perm=[1, 0])
    y = g.node("MatMul", [g.value(x), wt])
    if b is not None:
        y = g.node("Add", [y, g.value(b)])
    return [(y, shape)]


@maps("matmul")
def matmul(g, op):
    """MatMul; batch dims broadcast, (…, n, k)·(…, k, m) -> (…, n, m)."""
    a, b = op.inputs
    sa, sb = g.shape_of(a), g.shape_of(b)
    y = g.node("MatMul", [g.value(a), g.value(b)])
    if len(sa) >= 2 and len(sb) >= 2:
        return [(y, broadcast(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]))]
    return [(y, tuple(_out(op).shape))]  # a vector operand: static shape


@maps("conv1d", "conv2d")
def conv(g, op):
    """Conv: ONNX pads are (x1_begin, x2_begin, ..., x1_end, x2_end)."""
    x, w, b = op.inputs
    c = op.config
    if op.name == "conv2d":
        (pt, pb), (pl, pr) = c["pads"]
        pads, strides, dil = [pt, pl, pb, pr], list(c["stride"]), list(c["dilation"])
    else:
        pads, strides, dil = [c["pads"][0], c["pads"][1]], [c["stride"]], [c["dilation"]]
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    y = g.node("Conv", inputs, kernel_shape=list(w.shape[2:]), pads=pads, strides=strides,
               dilations=dil, group=c["groups"])
    return [(y, carry(g.shape_of(x), _out(op).shape))]


@maps("conv_transpose1d", "conv_transpose2d")
def conv_transpose(g, op):
    x, w, b = op.inputs
    c = op.config
    as_list = (lambda v: list(v)) if op.name == "conv_transpose2d" else (lambda v: [v])
    pads = as_list(c["padding"])
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    y = g.node("ConvTranspose", inputs, kernel_shape=list(w.shape[2:]), pads=pads + pads,
               strides=as_list(c["stride"]), dilations=as_list(c["dilation"]),
               output_padding=as_list(c["output_padding"]), group=c["groups"])
    return [(y, carry(g.shape_of(x), _out(op).shape))]


def _pool_lists(op):
    c = op.config
    if op.name.endswith("2d"):
        (ph, pw) = c["padding"]
        return list(c["kernel"]), list(c["stride"]), [ph, pw, ph, pw]
    p = c["padding"]
    return [c["kernel"]], [c["stride"]], [p, p]


@maps("max_pool1d", "max_pool2d")
def max_pool(g, op):
    c = op.config
    if c.get("return_indices"):
        unsupported(op, "return_indices=True has no ONNX mapping here (MaxPool's Indices "
                        "output is flattened differently); export without it")
    kernel, strides, pads = _pool_lists(op)
    dil = list(c["dilation"]) if op.name.endswith("2d") else [c["dilation"]]
    x = op.inputs[0]
    y = g.node("MaxPool", [g.value(x)], kernel_shape=kernel, strides=strides, pads=pads,
               dilations=dil, ceil_mode=int(c["ceil_mode"]))
    return [(y, carry(g.shape_of(x), _out(op).shape))]


@maps("avg_pool1d", "avg_pool2d")
def avg_pool(g, op):
    c = op.config
    if c.get("divisor_override"):
        unsupported(op, "divisor_override has no ONNX AveragePool attribute")
    kernel, strides, pads = _pool_lists(op)
    if c["ceil_mode"] and any(pads):
        unsupported(op, "ceil_mode=True with padding: ONNX AveragePool counts the clipped last "
                        "window differently from PyTorch")
    x = op.inputs[0]
    y = g.node("AveragePool", [g.value(x)], kernel_shape=kernel, strides=strides, pads=pads,
               ceil_mode=int(c["ceil_mode"]), count_include_pad=int(c["count_include_pad"]))
    return [(y, carry(g.shape_of(x), _out(op).shape))]


def _adaptive_matrix(size, n_out, dtype):
    """P (n_out, size): P[i, l] = 1/|window i| on window i = [⌊i·L/n⌋, ⌈(i+1)·L/n⌉)."""
    i = np.arange(n_out)
    start, end = (i * size) // n_out, -((-(i + 1) * size) // n_out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


@maps("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d")
def adaptive_pool(g, op):
    """GlobalAveragePool for output 1, a plain pool when the windows tile the input exactly,
    else (average only) y = P_h · x · P_wᵀ with the adaptive window matrices."""
    x = op.inputs[0]
    out = op.config["output_size"]
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    spatial = tuple(x.shape[2:])
    shape = carry(g.shape_of(x), _out(op).shape)
    is_max = "max" in op.name
    if is_max and op.config.get("return_indices"):
        unsupported(op, "return_indices=True is not exported")
    if all(o == 1 for o in out):
        return [(g.node("GlobalMaxPool" if is_max else "GlobalAveragePool", [g.value(x)]), shape)]
    if all(s % o == 0 for s, o in zip(spatial, out)):
        k = [s // o for s, o in zip(spatial, out)]
        return [(g.node("MaxPool" if is_max else "AveragePool", [g.value(x)], kernel_shape=k,
                        strides=k), shape)]
    if is_max:
        unsupported(op, f"adaptive max pooling from {spatial} to {out} (windows of unequal "
                        "size) has no ONNX operator")
    y = g.value(x)
    dtype = x.dtype
    pw = _adaptive_matrix(spatial[-1], out[-1], dtype)
    y = g.node("MatMul", [y, g.const(pw.T.copy())])  # (..., W) · P_wᵀ
    if len(out) == 2:
        ph = _adaptive_matrix(spatial[0], out[0], dtype)
        y = g.node("MatMul", [g.const(ph), y])  # P_h · (..., H, W_out)
    return [(y, shape)]


@maps("batch_norm")
def batch_norm(g, op):
    """BatchNormalization in inference form (running statistics)."""
    x, w, b, mean, var = op.inputs
    if op.config["batch_stats"]:
        unsupported(op, "batch statistics (training mode, or track_running_stats=False) are "
                        "not exported; call model.eval() and keep running statistics")
    C = x.shape[1]
    dtype = x.dtype
    scale = g.value(w) if w is not None else g.const(np.ones(C, dtype))
    bias = g.value(b) if b is not None else g.const(np.zeros(C, dtype))
    mom = getattr(op.module, "momentum", None)
    # ONNX's running-average momentum weighs the old estimate: 1 − PyTorch's momentum
    momentum = 1.0 - float(mom) if isinstance(mom, float) else None
    y = g.node("BatchNormalization",
               [g.value(x), scale, bias, g.value(mean.astype(dtype, copy=False)),
                g.value(var.astype(dtype, copy=False))],
               epsilon=float(op.config["eps"]), momentum=momentum)
    return [(y, g.shape_of(x))]


@maps("layer_norm")
def layer_norm(g, op):
    x, w, b = op.inputs
    k = op.config["normalized_ndim"]
    norm_shape = tuple(x.shape[-k:])
    scale = g.value(w) if w is not None else g.const(np.ones(norm_shape, x.dtype))
    bias = g.value(b) if b is not None else None
    y = g.node("LayerNormalization", [g.value(x), scale, bias], axis=-k,
               epsilon=float(op.config["eps"]))
    return [(y, g.shape_of(x))]


@maps("local_response_norm")
def local_response_norm(g, op):
    """LRN: y = x / (k + α/n · Σ x²)^β; both libraries window c − ⌊(n−1)/2⌋ … for odd n."""
    c = op.config
    if c["size"] % 2 == 0:
        unsupported(op, f"an even size ({c['size']}): ONNX LRN centres the window "
                        "differently from PyTorch for even sizes")
    x = op.inputs[0]
    y = g.node("LRN", [g.value(x)], size=c["size"], alpha=c["alpha"], beta=c["beta"],
               bias=c["k"])
    return [(y, g.shape_of(x))]


@maps("dropout", "dropout2d")
def dropout(g, op):
    if op.config["training"] and op.config["p"] > 0:
        unsupported(op, "dropout in training mode is random; export the model in eval mode")
    x = op.inputs[0]
    return [(g.node("Identity", [g.value(x)]), g.shape_of(x))]


@maps("embedding")
def embedding(g, op):
    """y = W[idx]: Gather(W, idx, axis=0)."""
    idx, w = op.inputs
    y = g.node("Gather", [g.value(w), g.value(idx)], axis=0)
    return [(y, g.shape_of(idx) + (int(w.shape[1]),))]


@maps("interpolate_nearest", "interpolate_nearest_exact", "interpolate_linear",
      "interpolate_bilinear")
def interpolate(g, op):
    """Resize with the user's scales, or with the output sizes; PyTorch's legacy nearest is asymmetric + floor,
    nearest-exact half_pixel + round_prefer_ceil, linear half_pixel or align_corners."""
    x = op.inputs[0]
    c = op.config
    size = tuple(c["size"])
    scales = c.get("scales") or (None,) * len(size)
    if all(scales):  # the user's scale factor: PyTorch maps coordinates by 1/scale
        if any(int(np.floor(n * f)) != o for n, f, o in zip(x.shape[2:], scales, size)):
            unsupported(op, f"output size {size} is not ⌊input · scale⌋ for input "
                            f"{x.shape[2:]}")
        resize_in = ["", g.const(np.asarray([1.0, 1.0] + list(scales), np.float32))]
    else:  # a size: sizes = (N, C) of the input at run time, then the spatial size
        nc = g.node("Slice", [g.node("Shape", [g.value(x)]), g.ints([0]), g.ints([2])])
        resize_in = ["", "", g.node("Concat", [nc, g.ints(list(size))], axis=0)]
    if op.name.startswith("interpolate_nearest"):
        exact = op.name.endswith("exact")
        attrs = dict(mode="nearest",
                     coordinate_transformation_mode="half_pixel" if exact else "asymmetric",
                     nearest_mode="round_prefer_ceil" if exact else "floor")
    else:
        ac = c.get("align_corners")
        attrs = dict(mode="linear",
                     coordinate_transformation_mode="align_corners" if ac else "half_pixel")
    y = g.node("Resize", [g.value(x), *resize_in], **attrs)
    return [(y, carry(g.shape_of(x), _out(op).shape))]
