"""gradwise.save / gradwise.load round trips in gradwise's own format (safetensors + JSON)."""
import collections
import io
import math

import numpy as np
import pytest
import safetensors.numpy

import gradwise as gw


def _round_trip(obj):
    buf = io.BytesIO()
    gw.save(obj, buf)
    buf.seek(0)
    return gw.load(buf), buf.getvalue()


def test_model_and_optimizer_state_dicts_round_trip_exactly(tmp_path):
    gw.manual_seed(0)
    model = gw.nn.Sequential(gw.nn.Conv2d(1, 2, 3), gw.nn.BatchNorm2d(2), gw.nn.Flatten(),
                             gw.nn.Linear(8, 3))
    opt = gw.optim.Adam(model.parameters(), lr=1e-3)
    model(gw.randn(4, 1, 4, 4)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.gw"
    gw.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    out = gw.load(path)
    assert isinstance(out["model"], collections.OrderedDict)
    assert list(out["model"]) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert out["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(out["model"][k].array, v.array)
    fresh = gw.nn.Sequential(gw.nn.Conv2d(1, 2, 3), gw.nn.BatchNorm2d(2), gw.nn.Flatten(),
                             gw.nn.Linear(8, 3))
    fresh.load_state_dict(out["model"])
    opt2 = gw.optim.Adam(fresh.parameters(), lr=1e-3)
    opt2.load_state_dict(out["optimizer"])
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    assert out["epoch"] == 3


def test_plain_values_keep_their_types():
    obj = {"ints": [1, -2], "f": 0.1, "nan": math.nan, "inf": -math.inf, "s": "x", "none": None,
           "t": (1, (2, "3")), 7: True, (1, 2): "tuple key", "arr": np.arange(3, dtype=np.int32)}
    out, _ = _round_trip(obj)
    assert out["ints"] == [1, -2] and out["f"] == 0.1 and out["s"] == "x" and out["none"] is None
    assert math.isnan(out["nan"]) and out["inf"] == -math.inf
    assert out["t"] == (1, (2, "3")) and out[7] is True and out[(1, 2)] == "tuple key"
    assert isinstance(out["arr"], np.ndarray) and out["arr"].dtype == np.int32


def test_shared_tensors_are_stored_once_and_share_memory_after_loading():
    w = gw.randn(100, 10)
    out, raw = _round_trip({"a": w, "b": w, "c": gw.from_numpy(w.array)})
    assert len(raw) < 2 * w.array.nbytes
    out["a"].array[0, 0] = 42.0
    assert out["b"].array[0, 0] == 42.0 and out["c"].array[0, 0] == 42.0


def test_parameters_and_requires_grad_survive():
    p = gw.nn.Parameter(gw.randn(2, 2).array)
    t = gw.randn(3, requires_grad=True)
    out, _ = _round_trip([p, t, t.detach()])
    assert isinstance(out[0], gw.nn.Parameter) and out[0].requires_grad
    assert out[1].requires_grad and not out[2].requires_grad


def test_non_contiguous_and_big_endian_arrays_are_written_correctly():
    a = np.arange(12, dtype=">f8").reshape(3, 4).T
    out, _ = _round_trip({"a": gw.from_numpy(a)})
    np.testing.assert_array_equal(out["a"].array, a)


def test_the_file_is_a_valid_safetensors_file():
    w, b = gw.randn(2, 3), gw.zeros(3, dtype=np.float64)
    _, raw = _round_trip({"w": w, "b": b})
    tensors = safetensors.numpy.load(raw)
    assert sorted(tensors) == ["t0", "t1"]
    np.testing.assert_array_equal(tensors["t0"], w.array)
    buf = io.BytesIO(safetensors.numpy.save({"weight": w.array}))  # and a plain one reads back
    np.testing.assert_array_equal(gw.load(buf)["weight"].array, w.array)


def test_save_refuses_what_it_cannot_store_naming_the_place():
    with pytest.raises(TypeError, match=r"cannot save object at obj\['cfg'\]\[0\]"):
        gw.save({"cfg": [object()]}, io.BytesIO())
    with pytest.raises(TypeError, match="cannot store dtype complex128"):
        gw.save({"z": np.zeros(2, np.complex128)}, io.BytesIO())
    with pytest.raises(TypeError, match="path or a binary file object"):
        gw.save({}, 3)


def test_a_truncated_file_is_refused():
    _, raw = _round_trip({"w": gw.randn(4, 4)})
    with pytest.raises(ValueError, match="do not match its shape"):
        gw.load(io.BytesIO(raw[:-8]))
