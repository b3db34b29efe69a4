"""nn.RNN / nn.LSTM / nn.GRU -> ONNX's RNN / LSTM / GRU operators, one node per layer.

ONNX keeps both directions of a layer in one node: W (D, G·H, I), R (D, G·H, H),
B (D, 2·G·H) = [W_b, R_b], Y (T, D, N, H), Y_h (D, N, H). Gate blocks are reordered:

    LSTM  gradwise / PyTorch i, f, g, o   ->  ONNX i, o, f, c
    GRU   gradwise / PyTorch r, z, n      ->  ONNX z, r, h
          reset_after=True  (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)))  linear_before_reset=1
          reset_after=False (n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn))  linear_before_reset=0
"""
from __future__ import annotations

import inspect

import numpy as np

from ..core.tensor import Tensor
from .registry import ExportError

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _reorder(w, mode):
    """Permute the gate blocks along axis 0 into ONNX's order."""
    blocks = np.split(w, _GATES[mode], axis=0)
    return np.concatenate([blocks[i] for i in _ORDER[mode]], axis=0)


def _layer_weights(g, module, layer, name):
    """Initializers W, R, B for one layer, both directions stacked."""
    D = 2 if module.bidirectional else 1
    W, R, B = [], [], []
    for d in range(D):
        w_ih, w_hh, b_ih, b_hh, _ = module._weights(layer, d)
        W.append(_reorder(w_ih.array, module.mode))
        R.append(_reorder(w_hh.array, module.mode))
        if b_ih is not None:
            B.append(np.concatenate([_reorder(b_ih.array, module.mode),
                                     _reorder(b_hh.array, module.mode)]))
    prefix = f"{name}.onnx_l{layer}" if name else f"onnx_l{layer}"
    w = g.initializer(np.stack(W), prefix + "_W")
    r = g.initializer(np.stack(R), prefix + "_R")
    b = g.initializer(np.stack(B), prefix + "_B") if B else None
    return w, r, b


def _check(module, name, input):
    where = f"layer {name or '<root>'} ({type(module).__name__})"
    if not isinstance(input, Tensor):
        raise ExportError(f"gradwise.onnx.export: {where}: only padded Tensor input is "
                          f"exported, got {type(input).__name__} (packed sequences are not)")
    if input.ndim != 3:
        raise ExportError(f"gradwise.onnx.export: {where}: expected a batched 3-D input, got "
                          f"{input.ndim}-D")
    if module.proj_size:
        raise ExportError(f"gradwise.onnx.export: {where}: proj_size has no ONNX mapping")
    if module.mode not in _ORDER:
        raise ExportError(f"gradwise.onnx.export: {where}: mode {module.mode!r} has no ONNX "
                          "mapping")


def export_rnn(g, module, name, args, kwargs, outputs):
    """Append the nodes of one RNNBase call; bind its output Tensors. Returns nothing."""
    bound = inspect.signature(type(module).forward).bind(module, *args, **kwargs)
    bound.apply_defaults()
    input, hx = bound.arguments["input"], bound.arguments["hx"]
    _check(module, name, input)
    mode, H, L = module.mode, module.hidden_size, module.num_layers
    D = 2 if module.bidirectional else 1
    is_lstm = mode == "LSTM"
    h0, c0 = (hx if hx is not None else (None, None)) if is_lstm else (hx, None)
    s_in = g.shapes[g.value(input)]
    x = g.value(input)
    if module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
        s_in = (s_in[1], s_in[0], s_in[2])
    T, N = s_in[0], s_in[1]
    op_type = "LSTM" if is_lstm else ("GRU" if mode == "GRU" else "RNN")
    attrs = dict(hidden_size=H, direction="bidirectional" if D == 2 else "forward")
    if op_type == "GRU":
        attrs["linear_before_reset"] = int(module.reset_after)
    if op_type == "RNN":
        attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * D
    h_list, c_list = [], []
    for layer in range(L):
        w, r, b = _layer_weights(g, module, layer, name)
        rows = [layer * D, (layer + 1) * D]
        ih = g.node("Slice", [g.value(h0), g.ints(rows[:1]), g.ints(rows[1:]), g.ints([0])]) \
            if h0 is not None else None
        inputs = [x, w, r, b, None, ih]
        if is_lstm:
            inputs.append(g.node("Slice", [g.value(c0), g.ints(rows[:1]), g.ints(rows[1:]),
                                           g.ints([0])]) if c0 is not None else None)
        outs = g.node(op_type, inputs, outputs=3 if is_lstm else 2, **attrs)
        y, yh = outs[0], outs[1]
        h_list.append(yh)
        if is_lstm:
            c_list.append(outs[2])
        # Y (T, D, N, H) -> (T, N, D·H), the next layer's input
        y = g.node("Transpose", [y], perm=[0, 2, 1, 3])
        x = g.node("Reshape", [y, g.ints([0, 0, D * H])])
    out_shape = (T, N, D * H)
    if module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
        out_shape = (N, T, D * H)
    h_shape = (L * D, N, H)
    h_n = h_list[0] if L == 1 else g.node("Concat", h_list, axis=0)
    out, state = outputs
    g.bind(out, g.node("Identity", [x]), out_shape)
    if is_lstm:
        c_n = c_list[0] if L == 1 else g.node("Concat", c_list, axis=0)
        g.bind(state[0], g.node("Identity", [h_n]), h_shape)
        g.bind(state[1], g.node("Identity", [c_n]), h_shape)
    else:
        g.bind(state, g.node("Identity", [h_n]), h_shape)
