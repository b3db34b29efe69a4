"""OpInfo-style sweep: every nn layer and functional op with a PyTorch twin, fed wrong rank, wrong
channel/feature count, wrong dtype, empty batch, zero-length sequence or image, NaN/inf,
out-of-range indices and invalid constructor arguments. Each case either matches PyTorch or is
refused with a clear error naming the layer (verdict: tests/robustness/sweep.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwise.functional as F
from gradwise import nn
from sweep import check, ctor_case, layer_case, op_case

# Cases gradwise refuses although torch computes something, and why (each still must be a clear
# error naming the layer).
_NO_STATS = "no values per channel means no batch statistics (PyTorch returns an empty tensor)"
_NO_PROMOTION = "integer input is refused instead of being promoted to float32"
STRICTER = {
    "BatchNorm1d/empty_batch": _NO_STATS,
    "BatchNorm2d/empty_batch": _NO_STATS,
    "BatchNorm2d/zero_length": _NO_STATS,
    "Sigmoid/int64": _NO_PROMOTION,
    "Tanh/int64": _NO_PROMOTION,
    "LocalResponseNorm/int64": _NO_PROMOTION,
    "AvgPool1d/int64": "an integer mean is refused (PyTorch truncates it to int64)",
    "AvgPool2d/int64": "an integer mean is refused (PyTorch truncates it to int64)",
    "Upsample/rank+1": "5-D (volumetric) interpolation is not implemented",
    "binary_cross_entropy_with_logits/mixed_dtype": (
        "float64 input with a float32 target is refused (PyTorch silently computes in float32)"),
}


def _x(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _with(x, value, at=0):
    x = x.copy()
    x.reshape(-1)[at] = value
    return x


# name, gradwise factory, torch factory, good input shape, channel/feature axis (None: any
# size is fine), batch axis, length axis (None: no sequence/spatial axis), random output
LAYERS = [
    ("Linear", lambda: nn.Linear(3, 4), lambda: torch.nn.Linear(3, 4), (2, 3), -1, 0, None),
    ("Conv1d", lambda: nn.Conv1d(3, 2, 3), lambda: torch.nn.Conv1d(3, 2, 3), (2, 3, 6), 1, 0, 2),
    ("Conv2d", lambda: nn.Conv2d(3, 2, 3, padding=1), lambda: torch.nn.Conv2d(3, 2, 3, padding=1),
     (2, 3, 5, 5), 1, 0, 3),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 2, 3),
     lambda: torch.nn.ConvTranspose1d(3, 2, 3), (2, 3, 6), 1, 0, 2),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2),
     lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 4, 4), 1, 0, 3),
    ("MaxPool1d", lambda: nn.MaxPool1d(2), lambda: torch.nn.MaxPool1d(2), (2, 3, 6), None, 0, 2),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 3, 4, 4), None, 0,
     3),
    ("AvgPool1d", lambda: nn.AvgPool1d(2), lambda: torch.nn.AvgPool1d(2), (2, 3, 6), None, 0, 2),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 3, 4, 4), None, 0,
     3),
    ("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(2), lambda: torch.nn.AdaptiveAvgPool1d(2),
     (2, 3, 6), None, 0, 2),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d(2), lambda: torch.nn.AdaptiveAvgPool2d(2),
     (2, 3, 4, 4), None, 0, 3),
    ("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d(2), lambda: torch.nn.AdaptiveMaxPool2d(2),
     (2, 3, 4, 4), None, 0, 3),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (4, 3), 1, 0,
     None),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), (2, 3, 4, 4), 1, 0,
     3),
    ("LayerNorm", lambda: nn.LayerNorm(4), lambda: torch.nn.LayerNorm(4), (2, 3, 4), -1, 0, None),
    ("LocalResponseNorm", lambda: nn.LocalResponseNorm(2), lambda: torch.nn.LocalResponseNorm(2),
     (2, 3, 4, 4), None, 0, 3),
    ("Dropout", lambda: nn.Dropout(0.5), lambda: torch.nn.Dropout(0.5), (2, 3), None, 0, None),
    ("Dropout2d", lambda: nn.Dropout2d(0.5), lambda: torch.nn.Dropout2d(0.5), (2, 3, 4, 4), None,
     0, 3),
    ("RNN", lambda: nn.RNN(3, 4), lambda: torch.nn.RNN(3, 4), (5, 2, 3), -1, 1, 0),
    ("LSTM", lambda: nn.LSTM(3, 4), lambda: torch.nn.LSTM(3, 4), (5, 2, 3), -1, 1, 0),
    ("GRU", lambda: nn.GRU(3, 4), lambda: torch.nn.GRU(3, 4), (5, 2, 3), -1, 1, 0),
    ("RNNCell", lambda: nn.RNNCell(3, 4), lambda: torch.nn.RNNCell(3, 4), (2, 3), -1, 0, None),
    ("LSTMCell", lambda: nn.LSTMCell(3, 4), lambda: torch.nn.LSTMCell(3, 4), (2, 3), -1, 0, None),
    ("GRUCell", lambda: nn.GRUCell(3, 4), lambda: torch.nn.GRUCell(3, 4), (2, 3), -1, 0, None),
    ("ReLU", nn.ReLU, torch.nn.ReLU, (2, 3), None, 0, None),
    ("Sigmoid", nn.Sigmoid, torch.nn.Sigmoid, (2, 3), None, 0, None),
    ("Tanh", nn.Tanh, torch.nn.Tanh, (2, 3), None, 0, None),
    ("ELU", nn.ELU, torch.nn.ELU, (2, 3), None, 0, None),
    ("GELU", nn.GELU, torch.nn.GELU, (2, 3), None, 0, None),
    ("LeakyReLU", nn.LeakyReLU, torch.nn.LeakyReLU, (2, 3), None, 0, None),
    ("Softplus", nn.Softplus, torch.nn.Softplus, (2, 3), None, 0, None),
    ("Softmax", lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (2, 3), None, 0, None),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), lambda: torch.nn.LogSoftmax(dim=1), (2, 3), None,
     0, None),
    ("Flatten", nn.Flatten, torch.nn.Flatten, (2, 3, 4), None, 0, None),
    ("Upsample", lambda: nn.Upsample(scale_factor=2), lambda: torch.nn.Upsample(scale_factor=2),
     (2, 3, 4, 4), None, 0, 3),
]

RANDOM = {"Dropout", "Dropout2d"}


def _layer_cases():
    for name, make_gw, make_torch, shape, feat, batch, length in LAYERS:
        good = _x(shape)
        inputs = {
            "ok": good,
            "rank+1": _x((2,) + shape),
            "rank-1": _x(shape[1:]),
            "rank1": _x(shape[-1:]),
            "int64": np.ones(shape, np.int64),
            "float64": _x(shape, np.float64),
            "empty_batch": _x(shape[:batch] + (0,) + shape[batch + 1:]),
            "nan": _with(good, np.nan),
            "inf": _with(_with(good, np.inf), -np.inf, at=1),
        }
        if feat is not None:
            axis = feat % len(shape)
            inputs["features+1"] = _x(shape[:axis] + (shape[axis] + 1,) + shape[axis + 1:])
        if length is not None:
            inputs["zero_length"] = _x(shape[:length] + (0,) + shape[length + 1:])
        for kind, x in inputs.items():
            yield layer_case(f"{name}/{kind}", make_gw, make_torch, [x], name,
                             random=name in RANDOM)


def _index_cases():
    emb = (lambda: nn.Embedding(5, 2), lambda: torch.nn.Embedding(5, 2))
    for kind, idx in {"ok": np.array([[0, 4], [1, 2]]), "too_large": np.array([0, 5]),
                      "negative": np.array([-1, 2]), "float": np.array([0.0, 1.0]),
                      "empty": np.zeros((0,), np.int64), "scalar": np.array(3)}.items():
        yield layer_case(f"Embedding/{kind}", *emb, [idx], "Embedding")
    logits = _x((3, 4))
    for loss, tloss in (("cross_entropy", TF.cross_entropy), ("nll_loss", TF.nll_loss)):
        for kind, target in {"ok": np.array([0, 3, 1]), "too_large": np.array([0, 4, 1]),
                             "negative": np.array([0, -2, 1]), "float": np.array([0.0, 1, 2]),
                             "wrong_batch": np.array([0, 1]),
                             "ignored": np.array([0, -100, 1])}.items():
            yield op_case(f"{loss}/{kind}", getattr(F, loss), tloss, [logits, target], loss)
    yield op_case("cross_entropy/empty_batch", F.cross_entropy, TF.cross_entropy,
                  [_x((0, 4)), np.zeros(0, np.int64)], "cross_entropy")
    yield op_case("cross_entropy/nan_logits", F.cross_entropy, TF.cross_entropy,
                  [_with(logits, np.nan), np.array([0, 3, 1])], "cross_entropy")


def _loss_cases():
    p = 1 / (1 + np.exp(-_x((2, 3))))
    y = (p > 0.5).astype(np.float32)
    for name, fn, tfn, a in (("mse_loss", F.mse_loss, TF.mse_loss, _x((2, 3))),
                             ("l1_loss", F.l1_loss, TF.l1_loss, _x((2, 3))),
                             ("binary_cross_entropy", F.binary_cross_entropy,
                              TF.binary_cross_entropy, p),
                             ("binary_cross_entropy_with_logits",
                              F.binary_cross_entropy_with_logits,
                              TF.binary_cross_entropy_with_logits, _x((2, 3)))):
        yield op_case(f"{name}/ok", fn, tfn, [a, y], name)
        yield op_case(f"{name}/int64", fn, tfn, [a.astype(np.int64), y.astype(np.int64)], name)
        yield op_case(f"{name}/empty", fn, tfn, [a[:0], y[:0]], name)
        yield op_case(f"{name}/nan", fn, tfn, [_with(a, np.nan), y], name)
        yield op_case(f"{name}/mixed_dtype", fn, tfn, [a.astype(np.float64), y], name)
    yield op_case("binary_cross_entropy/out_of_range", F.binary_cross_entropy,
                  TF.binary_cross_entropy, [p + 1, y], "binary_cross_entropy")
    yield op_case("mse_loss/shape_mismatch_no_broadcast", F.mse_loss, TF.mse_loss,
                  [_x((2, 3)), _x((3, 2))], "mse_loss")


def _functional_cases():
    w = _x((2, 3, 3, 3))
    for kind, x in {"ok": _x((2, 3, 5, 5)), "rank3": _x((3, 5, 5)), "rank2": _x((5, 5)),
                    "channels": _x((2, 4, 5, 5)), "small_image": _x((2, 3, 2, 2)),
                    "empty_batch": _x((0, 3, 5, 5)), "int64": np.ones((2, 3, 5, 5), np.int64),
                    "nan": _with(_x((2, 3, 5, 5)), np.nan)}.items():
        yield op_case(f"conv2d/{kind}", F.conv2d, TF.conv2d, [x, w], "conv2d")
    for kind, kw in {"stride0": dict(stride=0), "negative_padding": dict(padding=-1),
                     "groups2": dict(groups=2), "dilation0": dict(dilation=0),
                     "stride_triple": dict(stride=(1, 1, 1))}.items():
        yield op_case(f"conv2d/{kind}", F.conv2d, TF.conv2d, [_x((2, 3, 5, 5)), w], "conv2d",
                      **kw)
    for kind, kw in {"kernel0": dict(kernel_size=0), "stride0": dict(kernel_size=2, stride=0),
                     "padding_too_large": dict(kernel_size=2, padding=2)}.items():
        yield op_case(f"max_pool2d/{kind}", F.max_pool2d, TF.max_pool2d, [_x((2, 3, 4, 4))],
                      "max_pool2d", **kw)
        yield op_case(f"avg_pool2d/{kind}", F.avg_pool2d, TF.avg_pool2d, [_x((2, 3, 4, 4))],
                      "avg_pool2d", **kw)
    for kind, x in {"ok": _x((2, 3)), "empty": _x((0, 3)), "nan": _with(_x((2, 3)), np.nan),
                    "inf": _with(_x((2, 3)), np.inf)}.items():
        yield op_case(f"softmax/{kind}", F.softmax, TF.softmax, [x], "softmax", dim=1)
        yield op_case(f"log_softmax/{kind}", F.log_softmax, TF.log_softmax, [x], "log_softmax",
                      dim=1)
    yield op_case("softmax/dim_out_of_range", F.softmax, TF.softmax, [_x((2, 3))], "softmax",
                  dim=2)
    lin_w = _x((4, 3))
    for kind, x in {"ok": _x((2, 3)), "features": _x((2, 4)), "int64": np.ones((2, 3), np.int64),
                    "empty": _x((0, 3)), "float64": _x((2, 3), np.float64)}.items():
        yield op_case(f"linear/{kind}", F.linear, TF.linear, [x, lin_w], "linear")
    for kind, kw in {"p_negative": dict(p=-0.1), "p_above_one": dict(p=1.5)}.items():
        yield op_case(f"dropout/{kind}", F.dropout, TF.dropout, [_x((2, 3))], "dropout", **kw)
    ln_w = np.ones(4, np.float32)
    for kind, x in {"ok": _x((2, 4)), "trailing": _x((2, 5)), "int64": np.ones((2, 4), np.int64),
                    "empty": _x((0, 4))}.items():
        yield op_case(f"layer_norm/{kind}", F.layer_norm, TF.layer_norm, [x], "layer_norm",
                      normalized_shape=(4,))
    for kind, kw in {"both_size_and_scale": dict(size=4, scale_factor=2),
                     "neither": dict(), "bad_mode": dict(size=4, mode="cubic"),
                     "zero_size": dict(size=0)}.items():
        yield op_case(f"interpolate/{kind}", F.interpolate, TF.interpolate, [_x((2, 3, 4, 4))],
                      "interpolate", **kw)
    del ln_w


def _ctor_cases():
    bad = [
        ("Linear/negative_in", lambda: nn.Linear(-1, 3), lambda: torch.nn.Linear(-1, 3)),
        ("Linear/float_size", lambda: nn.Linear(2.5, 3), lambda: torch.nn.Linear(2.5, 3)),
        ("Conv2d/kernel0", lambda: nn.Conv2d(3, 2, 0), lambda: torch.nn.Conv2d(3, 2, 0)),
        ("Conv2d/groups_not_dividing", lambda: nn.Conv2d(3, 2, 3, groups=2),
         lambda: torch.nn.Conv2d(3, 2, 3, groups=2)),
        ("Conv2d/negative_padding", lambda: nn.Conv2d(3, 2, 3, padding=-1),
         lambda: torch.nn.Conv2d(3, 2, 3, padding=-1)),
        ("Conv2d/bad_padding_string", lambda: nn.Conv2d(3, 2, 3, padding="full"),
         lambda: torch.nn.Conv2d(3, 2, 3, padding="full")),
        ("Conv2d/same_with_stride", lambda: nn.Conv2d(3, 2, 3, stride=2, padding="same"),
         lambda: torch.nn.Conv2d(3, 2, 3, stride=2, padding="same")),
        ("Conv2d/zero_channels", lambda: nn.Conv2d(0, 2, 3), lambda: torch.nn.Conv2d(0, 2, 3)),
        ("ConvTranspose2d/output_padding_too_large",
         lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=2),
         lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=2)),
        ("MaxPool2d/kernel0", lambda: nn.MaxPool2d(0), lambda: torch.nn.MaxPool2d(0)),
        ("BatchNorm2d/zero_features", lambda: nn.BatchNorm2d(0), lambda: torch.nn.BatchNorm2d(0)),
        ("BatchNorm2d/momentum_2", lambda: nn.BatchNorm2d(3, momentum=2),
         lambda: torch.nn.BatchNorm2d(3, momentum=2)),
        ("Dropout/p_negative", lambda: nn.Dropout(-0.1), lambda: torch.nn.Dropout(-0.1)),
        ("Dropout/p_above_one", lambda: nn.Dropout(1.1), lambda: torch.nn.Dropout(1.1)),
        ("Dropout2d/p_above_one", lambda: nn.Dropout2d(1.1), lambda: torch.nn.Dropout2d(1.1)),
        ("Embedding/padding_idx_out_of_range", lambda: nn.Embedding(5, 2, padding_idx=5),
         lambda: torch.nn.Embedding(5, 2, padding_idx=5)),
        ("Embedding/negative_size", lambda: nn.Embedding(-1, 2),
         lambda: torch.nn.Embedding(-1, 2)),
        ("LSTM/zero_hidden", lambda: nn.LSTM(3, 0), lambda: torch.nn.LSTM(3, 0)),
        ("LSTM/zero_layers", lambda: nn.LSTM(3, 4, num_layers=0),
         lambda: torch.nn.LSTM(3, 4, num_layers=0)),
        ("LSTM/dropout_above_one", lambda: nn.LSTM(3, 4, dropout=1.5),
         lambda: torch.nn.LSTM(3, 4, dropout=1.5)),
        ("LSTM/proj_not_smaller", lambda: nn.LSTM(3, 4, proj_size=4),
         lambda: torch.nn.LSTM(3, 4, proj_size=4)),
        ("RNN/bad_nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="gelu"),
         lambda: torch.nn.RNN(3, 4, nonlinearity="gelu")),
        ("GRUCell/negative_hidden", lambda: nn.GRUCell(3, -1), lambda: torch.nn.GRUCell(3, -1)),
        ("LocalResponseNorm/size0", lambda: nn.LocalResponseNorm(0),
         lambda: torch.nn.LocalResponseNorm(0)),
        ("AvgPool2d/divisor_zero", lambda: nn.AvgPool2d(2, divisor_override=0),
         lambda: torch.nn.AvgPool2d(2, divisor_override=0)(torch.ones(1, 1, 2, 2))),
    ]
    for id, make_gw, make_torch in bad:
        yield ctor_case(id, make_gw, make_torch, id.split("/")[0])


CASES = [*_layer_cases(), *_index_cases(), *_loss_cases(), *_functional_cases(), *_ctor_cases()]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_matches_torch_or_is_refused_naming_the_layer(case):
    check(case, STRICTER)


def test_sweep_covers_every_layer_kind_of_bad_input():
    kinds = {c.id.split("/", 1)[1] for c in CASES}
    for kind in ("rank+1", "rank-1", "features+1", "int64", "float64", "empty_batch",
                 "zero_length", "nan", "inf", "too_large", "negative"):
        assert kind in kinds
    assert len(CASES) > 300
