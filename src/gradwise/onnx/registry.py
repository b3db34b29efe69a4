"""Which ONNX nodes each gradwise op becomes: ``@maps("relu")`` registers a mapping.

A mapping is ``fn(g, op)`` with ``op`` an ``Op`` (the traced call) and ``g`` the ``Graph``; it
appends nodes and returns one ``(value_name, symbolic_shape)`` per output of the op.
"""
from __future__ import annotations

from dataclasses import dataclass

MAPPINGS: dict = {}


def maps(*names):
    def deco(fn):
        for n in names:
            MAPPINGS[n] = fn
        return fn

    return deco


@dataclass
class Op:
    """One traced call of ``apply_op``: name, positional inputs, config and output Tensors.

    ``module`` is the innermost layer running when the op ran (None at the top level),
    ``layer`` its qualified name in the exported model.
    """

    name: str
    inputs: tuple
    config: dict
    outputs: tuple
    module: object = None
    layer: str = ""

    def where(self) -> str:
        if self.module is None:
            return "the model's forward"
        return f"layer {self.layer or '<root>'} ({type(self.module).__name__})"


class ExportError(ValueError):
    """An op or argument that ONNX export cannot express."""


def unsupported(op: Op, why: str):
    raise ExportError(f"gradwise.onnx.export: op {op.name!r} used by {op.where()}: {why}")


def carry(in_shape, out_shape):
    """Output dims follow the input's dynamic dims position by position (same rank)."""
    return tuple(a if isinstance(a, str) else int(b) for a, b in zip(in_shape, out_shape))


def broadcast(*shapes):
    """NumPy broadcasting of symbolic shapes (a dynamic dim wins over a 1)."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        dims = [s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0]
        dyn = [d for d in dims if isinstance(d, str)]
        out.append(dyn[0] if dyn else max(dims))
    return tuple(out)
