"""The bad-input sweep for layers PyTorch has no twin of (the recurrent family, TDNN, AR,
attention): a wrong rank, feature count or dtype must be refused with a ValueError/TypeError
naming the layer and showing the actual value; an empty batch, zero-length sequence or NaN must
either be refused the same way or give an output of the right shape (NaN stays NaN)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import gradwise as gw
from gradwise import nn

# name, factory, good input shape, feature axis, batch axis, length axis
LAYERS = [
    ("MUT", lambda: nn.MUT(4, 4), (5, 2, 4), -1, 1, 0),
    ("MUT1Cell", lambda: nn.MUT1Cell(4, 4), (2, 4), -1, 0, None),
    ("HighwayRNN", lambda: nn.HighwayRNN(3, 4), (5, 2, 3), -1, 1, 0),
    ("HighwayRNNCell", lambda: nn.HighwayRNNCell(3, 4), (2, 3), -1, 0, None),
    ("JordanRNN", lambda: nn.JordanRNN(3, 4, 2), (5, 2, 3), -1, 1, 0),
    ("LeakyRNN", lambda: nn.LeakyRNN(3, 4), (5, 2, 3), -1, 1, 0),
    ("SkipRNN", lambda: nn.SkipRNN(3, 4), (5, 2, 3), -1, 1, 0),
    ("TDNN", lambda: nn.TDNN(3, (4,), output_size=2), (2, 3, 7), 1, 0, 2),
    ("AR", lambda: nn.AR(2), (4, 6, 1), -1, 0, 1),
]
REFUSED = ("rank+1", "rank-1", "features+1", "int64", "float64")


def _x(shape, dtype=np.float32):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


def _inputs(shape, feat, batch, length):
    good = _x(shape)
    nan = good.copy()
    nan.reshape(-1)[0] = np.nan
    axis = feat % len(shape)
    out = {"ok": good, "rank+1": _x((2,) + shape), "rank-1": _x(shape[1:]),
           "features+1": _x(shape[:axis] + (shape[axis] + 1,) + shape[axis + 1:]),
           "int64": np.ones(shape, np.int64), "float64": _x(shape, np.float64),
           "empty_batch": _x(shape[:batch] + (0,) + shape[batch + 1:]), "nan": nan}
    if length is not None:
        out["zero_length"] = _x(shape[:length] + (0,) + shape[length + 1:])
    return out


CASES = [(name, make, kind, x) for name, make, shape, feat, batch, length in LAYERS
         for kind, x in _inputs(shape, feat, batch, length).items()]


def _first(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


@pytest.mark.parametrize("name,make,kind,x", CASES, ids=[f"{c[0]}/{c[2]}" for c in CASES])
def test_gradwise_only_layer_refuses_bad_input_naming_itself(name, make, kind, x):
    gw.manual_seed(0)
    layer = make()
    try:
        out = _first(layer(gw.tensor(x)))
    except (ValueError, TypeError) as e:
        msg = str(e)
        assert name in msg, f"{name}/{kind}: message does not name the layer: {msg}"
        assert re.search(r"got|expected|must", msg), f"{name}/{kind}: no actual value: {msg}"
        assert kind != "ok", msg
        return
    assert kind not in REFUSED, f"{name}/{kind}: accepted silently, output {out.shape}"
    assert out.dtype == np.float32
    if kind == "nan":
        assert np.isnan(out.array).any(), f"{name}/nan: a NaN input gave an all-finite output"
    else:
        assert np.isfinite(out.array).all()


@pytest.mark.parametrize("make,match", [
    (lambda: nn.HighwayRNN(0, 4), "HighwayRNNCell: input_size must be an integer >= 1, got 0"),
    (lambda: nn.LeakyRNN(3, -1), "LeakyRNN: hidden_size must be an integer >= 1, got -1"),
    (lambda: nn.JordanRNN(3, 4, True), "JordanRNN: output_size must be an integer >= 1, got True"),
    (lambda: nn.TDNN(3, (4,), context=-1), "TDNN: context must be an int ≥ 0"),
    (lambda: nn.AR(0), "AR: order must be an integer >= 1, got 0"),
])
def test_gradwise_only_layer_refuses_invalid_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        make()
