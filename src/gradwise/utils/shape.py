"""Shape arithmetic of convolution and pooling layers (seed 000, "a closer look at spatial dimensions").

    output size = (N + 2P - D·(F - 1) - 1) / S + 1

N input size, F filter size, P zero padding per side, S stride, D dilation (D = 1: no holes).
With D = 1 this is the seed's (N + 2P - F)/S + 1. When S does not divide N + 2P - D(F-1) - 1
the filter "doesn't fit" (seed: N = 7, F = 3, S = 3 gives 2.33); layers then drop the last
rows, i.e. take the floor, which is what ``conv_output_size`` returns unless ``strict=True``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..core.autograd import enable_grad
from ..core.checks import ntuple
from ..core.tensor import Tensor
from ..nn.utils.nested import tensors_in


def _per_dim(name, value, d):
    """conv_output_size's argument as d values (an int repeats); _one checks their ranges."""
    return ntuple("conv_output_size", name, value, d)


def _one(n, f, s, p, dil, strict):
    for name, v, low in (("input size", n, 1), ("kernel", f, 1), ("stride", s, 1),
                         ("padding", p, 0), ("dilation", dil, 1)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise ValueError(f"conv_output_size: expected {name} an int >= {low}, got {v!r}")
    span = dil * (f - 1) + 1  # extent of the (dilated) filter
    if n + 2 * p < span:
        raise ValueError(f"conv_output_size: filter of extent {span} (kernel {f}, dilation {dil}) "
                         f"is larger than the padded input {n} + 2·{p} = {n + 2 * p}")
    exact = Fraction(n + 2 * p - span, s) + 1
    if strict and exact.denominator != 1:
        raise ValueError(
            f"conv_output_size: the filter doesn't fit: (N + 2P - D(F-1) - 1)/S + 1 = "
            f"({n} + 2·{p} - {dil}·({f}-1) - 1)/{s} + 1 = {float(exact):.2f}, not an integer"
        )
    return (n + 2 * p - span) // s + 1


def conv_output_size(n, kernel, stride=1, padding=0, dilation=1, strict=False):
    """Output size ⌊(N + 2P - D(F-1) - 1)/S⌋ + 1 of a convolution or pooling layer.

    Args:
        n: input size N, or a tuple (H, W, ...) for several dimensions.
        kernel, stride, padding, dilation: int or tuple with one value per dimension; padding
            may also be "valid" (P = 0) or "same" (output = input, stride 1 only).
        strict: raise ValueError when the filter doesn't fit, i.e. S does not divide
            N + 2P - D(F-1) - 1 (instead of dropping the last rows as layers do).

    Returns:
        int, or a tuple of ints when ``n`` is a tuple.

    Raises:
        ValueError: bad arguments, a filter larger than the padded input, or (strict) a filter
            that doesn't fit.
    """
    multi = isinstance(n, (tuple, list))
    d = len(n) if multi else 1
    ns = tuple(n) if multi else (n,)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if any(s != 1 for s in _per_dim("stride", stride, d)):
                raise ValueError("conv_output_size: padding='same' needs stride 1")
            return tuple(ns) if multi else n
        else:
            raise ValueError(f"conv_output_size: padding must be an int, 'valid' or 'same', "
                             f"got {padding!r}")
    out = tuple(_one(*args, strict) for args in zip(
        ns, _per_dim("kernel", kernel, d), _per_dim("stride", stride, d),
        _per_dim("padding", padding, d), _per_dim("dilation", dilation, d)))
    return out if multi else out[0]


def receptive_field(num_layers: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    """Receptive field in the input of L stacked K×K convolutions (seed: 1 + L·(K - 1) at S = 1).

    In general each layer l adds D·(K - 1)·(product of the earlier strides) to the field.
    """
    if num_layers < 0 or kernel_size < 1 or stride < 1 or dilation < 1:
        raise ValueError(f"receptive_field: invalid arguments L={num_layers}, K={kernel_size}, "
                         f"S={stride}, D={dilation}")
    return 1 + sum(dilation * (kernel_size - 1) * stride ** l for l in range(num_layers))


# -- summary -----------------------------------------------------------------------------------
@dataclass
class LayerRow:
    """One call of one layer during the summary's forward pass.

    ``receptive_field`` and ``jump`` are per spatial dimension of the input: the size of the
    input region one output element sees, and the distance in input pixels between neighbouring
    outputs (the product of the strides so far). ``jump`` is None once a layer mixes all
    positions (Linear after flatten, global pooling).
    """

    name: str
    type: str
    output_shape: tuple
    params: int
    macs: int
    receptive_field: tuple | None
    jump: tuple | None


@dataclass
class ModelSummary:
    """The table returned by ``summary``: ``rows`` per layer call, totals, and ``str()`` as text."""

    model_name: str
    input_size: tuple
    rows: list = field(default_factory=list)
    output_shape: tuple = ()
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0

    def __str__(self):
        def fmt(v):
            if v is None:
                return "-"
            return str(v[0]) if len(set(v)) == 1 else "×".join(str(a) for a in v)

        head = ("Layer", "Type", "Output shape", "Params", "MACs", "RF", "Jump")
        body = [(r.name or "(model)", r.type, str(tuple(r.output_shape)), f"{r.params:,}",
                 f"{r.macs:,}", fmt(r.receptive_field), fmt(r.jump)) for r in self.rows]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        line = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [f"{self.model_name} summary, input {tuple(self.input_size)}", rule,
               line.format(*head), rule, *(line.format(*row) for row in body), rule,
               f"Output shape: {tuple(self.output_shape)}",
               f"Total params: {self.total_params:,}",
               f"Trainable params: {self.trainable_params:,}",
               f"Non-trainable params: {self.total_params - self.trainable_params:,}",
               f"Total MACs (multiply-accumulates): {self.total_macs:,}"]
        return "\n".join(out)

    def _repr_pretty_(self, p, cycle):  # IPython shows the table
        p.text(str(self))


def _module_dims(module, name, value, d):
    """A layer's kernel_size/stride/dilation as a tuple: an int repeated d times, a sequence
    kept at the layer's own length (the caller compares it with d)."""
    n = len(value) if isinstance(value, (tuple, list)) else d
    return ntuple(type(module).__name__, name, value, n)


def _first_tensor(obj):
    tensors = tensors_in(obj)
    return tensors[0] if tensors else None


def _macs(module, x, y):
    """Multiply-accumulates of one call: the weight multiplications of conv and linear layers."""
    w = module._parameters.get("weight")
    if w is None or x is None or y is None:
        return 0
    kind = type(module).__name__
    if kind.startswith("ConvTranspose"):
        return x.array.size // x.shape[1] * w.shape[0] * int(np.prod(w.shape[1:]))
    if kind.startswith("Conv") and w.ndim >= 3:
        return y.array.size * int(np.prod(w.shape[1:]))  # per output: C_in/groups · prod(kernel)
    if kind == "Bilinear":
        return y.array.size * w.shape[1] * w.shape[2]
    if kind == "Linear" or (w.ndim == 2 and kind != "Embedding" and "Norm" not in kind):
        return y.array.size * w.shape[1]
    return 0


class _FieldTracker:
    """Receptive field (size, jump) of every tensor, per spatial dimension of the input.

    Layers with a kernel (conv, pooling) apply r_out = r_in + D·(K - 1)·j_in, j_out = j_in·S; a
    layer whose output has no spatial axes (Linear on flattened features) sees the whole input.
    Tensors made by ops outside any layer (residual add, concatenation, flatten) are traced
    back through the autograd graph and take the largest field of their inputs.
    """

    def __init__(self, x, spatial):
        self.spatial = tuple(spatial)
        self.d = len(self.spatial)
        self.info = {id(x): (x, (1,) * self.d, (1,) * self.d)}

    def lookup(self, t):
        if t is None:
            return None
        hit = self.info.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1:]
        node = t.grad_fn
        if node is None:
            return None
        found = [f for f in (self.lookup(a) for a in node.inputs if isinstance(a, Tensor)) if f]
        if not found:
            return None
        best = max(found, key=lambda f: -1 if f[0] is None else float(np.prod(f[0])))
        self.info[id(t)] = (t, *best)
        return best

    def apply(self, module, x, y):
        if y is None:
            return None
        field_in = self.lookup(x) or ((1,) * self.d, (1,) * self.d)
        r, j = field_in
        kernel = getattr(module, "kernel_size", None)
        kind = type(module).__name__
        if j is None or y.ndim <= 2 or kind.startswith("Linear"):
            out = (self.global_field(), None)
        elif kind.startswith("Adaptive") and x is not None:
            sizes_in, sizes_out = x.shape[-self.d:], y.shape[-self.d:]
            k = [-(-a // b) for a, b in zip(sizes_in, sizes_out)]
            s = [max(a // b, 1) for a, b in zip(sizes_in, sizes_out)]
            out = (tuple(ri + (ki - 1) * ji for ri, ki, ji in zip(r, k, j)),
                   tuple(ji * si for ji, si in zip(j, s)))
        elif kernel is not None:
            k = _module_dims(module, "kernel_size", kernel, self.d)[: self.d]
            s = _module_dims(module, "stride", getattr(module, "stride", 1) or k, self.d)[: self.d]
            dil = _module_dims(module, "dilation", getattr(module, "dilation", 1), self.d)[: self.d]
            if len(k) < self.d:
                out = (None, None)
            elif kind.startswith("ConvTranspose"):
                jo = tuple(ji / si for ji, si in zip(j, s))
                out = (tuple(ri + di * (ki - 1) * joi for ri, di, ki, joi in zip(r, dil, k, jo)), jo)
            else:
                out = (tuple(ri + di * (ki - 1) * ji for ri, di, ki, ji in zip(r, dil, k, j)),
                       tuple(ji * si for ji, si in zip(j, s)))
        else:
            out = field_in
        self.info[id(y)] = (y, *out)
        return out

    def global_field(self):
        return self.spatial


def summary(model, input_size, dtype=np.float32, depth=None) -> ModelSummary:
    """Per-layer table of output shapes, parameters, MACs and receptive fields, with totals.

    Runs one forward pass (in eval mode, restored afterwards) on an input of shape
    ``input_size`` (batch first, e.g. ``(1, 3, 224, 224)``; integer dtypes get zeros, float
    dtypes standard-normal values) with forward hooks on every leaf layer and on every layer
    that owns parameters directly.

    Args:
        model: a ``gradwise.nn.Module``.
        input_size: full input shape including the batch dimension.
        dtype: input dtype (``np.int64`` for token models).

    Returns:
        ``ModelSummary``: ``rows`` (one ``LayerRow`` per layer call; a layer called twice, such
        as a shared ReLU, appears twice), ``total_params`` (every parameter of the model, shared
        ones once), ``trainable_params``, ``total_macs`` (summed over the rows, for the whole
        batch) and ``output_shape``. ``str()`` renders the table. Layers that the eval-mode
        forward does not call (GoogLeNet's and Inception v3's auxiliary heads) count in the
        totals but have no row.

    Receptive fields are per spatial dimension of the input (``input_size[2:]``, or
    ``input_size[1:]`` for (N, L) token inputs): seed 000's 1 + L·(K - 1) for L stacked K×K
    convolutions with stride 1. MACs count the weight multiplications of conv and linear
    layers (out elements × C_in/groups × kernel area for conv); elementwise layers count 0.
    """
    input_size = tuple(int(s) for s in input_size)
    if len(input_size) < 2:
        raise ValueError(f"summary: expected input_size with a batch dimension, got {input_size}")
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating):
        data = np.random.default_rng(0).standard_normal(input_size).astype(dtype)
    else:
        data = np.zeros(input_size, dtype=dtype)
    x = Tensor(data)
    spatial = input_size[2:] if len(input_size) > 2 else input_size[1:]
    tracker = _FieldTracker(x, spatial)
    names = {id(m): name for name, m in model.named_modules()}
    rows, handles, seen_params = [], [], set()

    def hook(module, args, output):
        xin, y = _first_tensor(args), _first_tensor(output)
        params = 0
        if id(module) not in seen_params:
            seen_params.add(id(module))
            params = sum(p.array.size for p in module.parameters(recurse=False))
        field_out = tracker.apply(module, xin, y)
        r, j = field_out if field_out else (None, None)
        rows.append(LayerRow(
            names.get(id(module), ""), type(module).__name__,
            tuple(y.shape) if y is not None else (), params, _macs(module, xin, y),
            None if r is None else tuple(int(round(v)) if float(v).is_integer() else v for v in r),
            None if j is None else tuple(int(v) if float(v).is_integer() else v for v in j)))

    for m in model.modules():
        if not any(True for _ in m.children()) or any(True for _ in m.parameters(recurse=False)):
            handles.append(m.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with enable_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    params = {id(p): p for p in model.parameters()}.values()
    y = _first_tensor(out)
    return ModelSummary(
        model_name=type(model).__name__, input_size=input_size, rows=rows,
        output_shape=tuple(y.shape) if y is not None else (),
        total_params=sum(p.array.size for p in params),
        trainable_params=sum(p.array.size for p in params if p.requires_grad),
        total_macs=sum(r.macs for r in rows))
