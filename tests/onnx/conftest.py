"""Shared check for the ONNX tests: export, check, run in ONNX Runtime at several sizes."""
import io

import numpy as np
import pytest

import gradwise as gw


def reinit(model, seed=0):
    """He-scaled random weights and non-trivial BatchNorm statistics, so that activations stay
    O(1) through deep zoo models (their small-std inits make the logits nearly constant)."""
    rng = np.random.default_rng(seed)
    for name, p in model.named_parameters():
        a = p.array
        if a.ndim > 1:
            fan_in = int(np.prod(a.shape[1:]))
            a[...] = rng.standard_normal(a.shape, dtype=np.float32) * np.sqrt(2.0 / fan_in)
        else:
            a[...] = rng.uniform(-0.5, 0.5, a.shape) + (1.0 if name.endswith("weight") else 0.0)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.array[...] = rng.uniform(-0.2, 0.2, b.shape)
        elif name.endswith("running_var"):
            b.array[...] = rng.uniform(0.5, 1.5, b.shape)
    return model


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out.numpy()]


def assert_onnx_matches(model, make_inputs, sizes, dynamic_axes, input_names=None,
                        output_names=None, rtol=1e-5):
    """Export on make_inputs(sizes[0]); for every size, ONNX Runtime equals gradwise.

    make_inputs(size) -> tuple of arrays. The error is relative to each output's largest
    magnitude (float32 sums reorder between the two runtimes).
    """
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import gradwise.onnx as gx

    model.eval()
    first = tuple(gw.tensor(a) for a in make_inputs(sizes[0]))
    buf = io.BytesIO()
    proto = gx.export(model, first, buf, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes)
    assert onnx.load_from_string(buf.getvalue()).graph.node  # export ran check_model(full_check)
    session = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    for size in sizes:
        arrays = make_inputs(size)
        with gw.no_grad():
            expected = _flat(model(*(gw.tensor(a) for a in arrays)))
        got = session.run(None, dict(zip(names, arrays)))
        assert len(got) == len(expected)
        for e, o in zip(expected, got):
            assert o.shape == e.shape and o.dtype == e.dtype
            scale = max(float(np.abs(e).max()), 1e-30)
            err = float(np.abs(o.astype(np.float64) - e).max()) / scale
            assert err <= rtol, f"size {size}: relative error {err:.2e} > {rtol}"
    return proto


@pytest.fixture
def onnx_matches():
    """The ``assert_onnx_matches`` check as a fixture (test modules cannot import conftest)."""
    return assert_onnx_matches


@pytest.fixture
def he_init():
    return reinit
