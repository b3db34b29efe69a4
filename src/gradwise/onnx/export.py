"""``export(model, args, f)``: trace one forward pass and write it as an ONNX model.

The model runs once on ``args`` in eval mode under ``no_grad``. ``core.autograd.tracer`` sees
every op ``apply_op`` runs (name, inputs, config, outputs); each op is mapped to ONNX nodes by
the table in ``registry`` (filled by ``ops_nn`` and ``ops_tensor``). Recurrent layers are
mapped whole (``rnn``): their forward runs untraced and becomes one ONNX RNN/LSTM/GRU node per
layer. Parameters and buffers become initializers under their state_dict names.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import onnx
from onnx import helper

from ..core import autograd, no_grad
from ..core.tensor import Tensor
from ..nn.rnn import RNNBase
from . import ops_nn, ops_tensor  # noqa: F401  (register the op mappings)
from .graph import Graph, tensor_type
from .registry import MAPPINGS, ExportError, Op
from .rnn import export_rnn


def _flatten(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    raise ExportError(f"gradwise.onnx.export: the model returned a {type(out).__name__}; "
                      "expected Tensors or (nested) tuples of Tensors")


def _axes_of(dynamic_axes, name, ndim):
    """{axis: symbol} for one input/output from torch.onnx's dict-or-list form."""
    spec = (dynamic_axes or {}).get(name, {})
    if isinstance(spec, (list, tuple)):
        spec = {int(a): f"{name}_dim{int(a)}" for a in spec}
    axes = {int(a) % ndim: str(s) for a, s in spec.items()}
    return axes


class _Tracer:
    """The module stack (for error messages) and the op tracer that fills the Graph."""

    def __init__(self, graph: Graph, model):
        self.g = graph
        self.stack = []
        self.suspended = 0
        self.names = {id(m): n for n, m in model.named_modules()}

    def __call__(self, name, inputs, config, outputs):
        if self.suspended:
            return
        module = self.stack[-1] if self.stack else None
        op = Op(name, tuple(inputs), dict(config), tuple(outputs), module,
                self.names.get(id(module), ""))
        fn = MAPPINGS.get(name)
        if fn is None:
            raise ExportError(f"gradwise.onnx.export: op {name!r} used by {op.where()} has no "
                              f"ONNX mapping (mapped ops: {', '.join(sorted(MAPPINGS))})")
        for t, (value, shape) in zip(outputs, fn(self.g, op)):
            self.g.bind(t, value, shape)

    @contextlib.contextmanager
    def hooks(self, model):
        """Module stack via forward hooks; recurrent layers replaced by their ONNX nodes."""
        handles, patched = [], []
        for _, m in model.named_modules():
            handles.append(m.register_forward_pre_hook(self._push))
            handles.append(m.register_forward_hook(self._pop))
            if isinstance(m, RNNBase):
                patched.append(m)
                object.__setattr__(m, "forward", self._rnn_forward(m))
        try:
            yield
        finally:
            for h in handles:
                h.remove()
            for m in patched:
                object.__delattr__(m, "forward")

    def _push(self, module, args):
        self.stack.append(module)

    def _pop(self, module, args, out):
        self.stack.pop()

    def _rnn_forward(self, module):
        forward = type(module).forward

        def run(*args, **kwargs):
            self.suspended += 1
            try:
                out = forward(module, *args, **kwargs)
            finally:
                self.suspended -= 1
            if not self.suspended:
                export_rnn(self.g, module, self.names.get(id(module), ""), args, kwargs, out)
            return out

        return run


def _param_names(model):
    names = {}
    for n, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is None:
            continue
        names.setdefault(id(t), n)
        names.setdefault(id(t.array), n)
    return names


def export(model, args, f=None, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int = 17, check: bool = True):
    """Export ``model`` to ONNX by running it once on ``args`` (torch.onnx.export's meaning).

    Args:
        model: a gradwise Module (exported in eval mode; its mode is restored afterwards).
        args: a Tensor (or array) or a tuple of them: the forward's positional inputs.
        f: a path or a binary file object to write to; None writes nothing.
        input_names, output_names: ONNX names of the flattened inputs/outputs
            (default input_0, ... and output_0, ...; "input"/"output" when there is one).
        dynamic_axes: {name: {axis: symbol}} or {name: [axes]}: axes whose size may change at
            run time (batch size, sequence length); the others are fixed to the traced sizes.
        opset_version: the ONNX opset (default 17, minimum 14).
        check: run ``onnx.checker.check_model(full_check=True)`` on the result.

    Returns:
        the ``onnx.ModelProto``.

    Raises:
        ExportError (a ValueError) naming the op and the layer that used it when an op has no
        ONNX mapping.
    """
    if opset_version < 14:
        raise ValueError(f"gradwise.onnx.export: opset_version must be >= 14, got "
                         f"{opset_version}")
    args = args if isinstance(args, tuple) else (args,)
    args = tuple(a if isinstance(a, Tensor) else Tensor(np.asarray(a)) for a in args)
    input_names = list(input_names or (["input"] if len(args) == 1 else
                                        [f"input_{i}" for i in range(len(args))]))
    if len(input_names) != len(args):
        raise ValueError(f"gradwise.onnx.export: {len(input_names)} input_names for "
                         f"{len(args)} inputs")
    g = Graph(opset_version, _param_names(model))
    inputs = []
    for name, a in zip(input_names, args):
        axes = _axes_of(dynamic_axes, name, a.ndim)
        shape = tuple(axes.get(i, d) for i, d in enumerate(a.shape))
        g.bind(a, name, shape)
        inputs.append(tensor_type(name, a.dtype, shape))
    tracer = _Tracer(g, model)
    modes = {id(m): m.training for _, m in model.named_modules()}
    model.eval()
    previous = autograd.tracer
    try:
        autograd.tracer = tracer
        with no_grad(), tracer.hooks(model):
            out = model(*args)
    finally:
        autograd.tracer = previous
        for _, m in model.named_modules():
            m.training = modes[id(m)]
    outs = _flatten(out)
    output_names = list(output_names or (["output"] if len(outs) == 1 else
                                         [f"output_{i}" for i in range(len(outs))]))
    if len(output_names) != len(outs):
        raise ValueError(f"gradwise.onnx.export: {len(output_names)} output_names for "
                         f"{len(outs)} outputs")
    outputs = []
    for name, t in zip(output_names, outs):
        value = g.lookup(t) or g.value(t)
        axes = _axes_of(dynamic_axes, name, t.ndim)
        sym = g.shapes.get(value, t.shape)
        shape = tuple(axes.get(i, s if isinstance(s, str) else d)
                      for i, (s, d) in enumerate(zip(sym, t.shape)))
        g.node("Identity", [value], outputs=[name])
        outputs.append(tensor_type(name, t.dtype, shape))
    if g.frozen:
        warnings.warn(f"gradwise.onnx.export: {len(g.frozen)} Tensor(s) not computed by traced "
                      f"ops (shapes {g.frozen[:4]}) were written as constants; outputs that "
                      "depend on them will not follow new inputs", stacklevel=2)
    graph = helper.make_graph(g.nodes, type(model).__name__, inputs, outputs)
    proto = helper.make_model(graph, producer_name="gradwise",
                              opset_imports=[helper.make_opsetid("", opset_version)])
    proto.graph.initializer.extend(g.initializers)  # after make_model: one copy of the weights
    proto.ir_version = min(proto.ir_version, 8 if opset_version <= 17 else 9)
    if check:
        onnx.checker.check_model(proto, full_check=True)
    if f is not None:
        onnx.save(proto, f)
    return proto
