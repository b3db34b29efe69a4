import os
import sysconfig

import numpy as np
import pytest

import gradwise as gw
from gradwise.data.datasets import (
    adding_problem, ar_series, copy_task, copy_task_baseline, mackey_glass, narma10, narx_regressors,
    narx_series, sine_series, stdlib_corpus,
)


def test_adding_problem_layout_targets_and_marker_halves():
    x, y = adding_problem(64, 20, rng=0)
    assert x.shape == (20, 64, 2) and y.shape == (64, 1) and x.dtype == np.float32
    markers = x[..., 1]
    np.testing.assert_array_equal(markers.sum(0), 2)
    assert (markers[:10].sum(0) == 1).all() and (markers[10:].sum(0) == 1).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(0), rtol=1e-6)
    assert ((0 <= x[..., 0]) & (x[..., 0] < 1)).all()


def test_adding_problem_baseline_mse_of_predicting_one():
    # E[(v_a + v_b - 1)^2] = Var(v_a + v_b) = 1/6; Le et al. 2015 quote 0.1767 for this baseline.
    _, y = adding_problem(200_000, 4, rng=1, dtype=np.float64)
    mse = np.mean((y - 1.0) ** 2)
    assert abs(mse - 1 / 6) < 0.002


def test_adding_problem_is_seeded_by_the_library_rng():
    gw.manual_seed(3)
    a = adding_problem(4, 6)
    gw.manual_seed(3)
    b = adding_problem(4, 6)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="seq_len >= 2"):
        adding_problem(4, 1)


def test_copy_task_layout():
    x, y = copy_task(5, delay=7, seq_len=3, num_symbols=4, rng=0)
    assert x.shape == y.shape == (13, 5) and x.dtype == np.int64
    np.testing.assert_array_equal(y[10:], x[:3])
    assert ((1 <= x[:3]) & (x[:3] <= 4)).all()
    np.testing.assert_array_equal(x[3:9], 0)
    np.testing.assert_array_equal(x[9], 5)  # delimiter after delay - 1 blanks
    np.testing.assert_array_equal(x[10:], 0)
    np.testing.assert_array_equal(y[:10], 0)
    assert copy_task_baseline(100, 10, 8) == pytest.approx(10 * np.log(8) / 120)


def test_mackey_glass_stays_on_its_attractor():
    series = mackey_glass(2000, discard=500)
    assert series.shape == (2000,)
    assert 0.2 < series.min() < 0.5 and 1.2 < series.max() < 1.4
    assert 0.85 < series.mean() < 0.95
    # Euler recursion by hand for the first steps (history x0 on [-tau, 0]).
    x, dt = [1.2] * 171, 0.1
    for _ in range(20):
        d = x[-171]
        x.append(x[-1] + dt * (0.2 * d / (1 + d ** 10) - 0.1 * x[-1]))
    np.testing.assert_allclose(mackey_glass(2), [x[170 + 10], x[170 + 20]])


def test_narma10_recursion_and_range():
    u, y = narma10(500, rng=0, discard=0)
    assert u.shape == y.shape == (500,) and (0 <= u).all() and (u <= 0.5).all()
    t = 50
    expected = 0.3 * y[t] + 0.05 * y[t] * y[t - 9:t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
    assert y[t + 1] == pytest.approx(expected)
    assert np.isfinite(y).all() and 0 <= y.min() and y.max() < 1.0


def test_sine_ar_and_narx_series():
    np.testing.assert_allclose(sine_series(50, period=25)[[0, 25]], 0, atol=1e-12)
    y = ar_series(20_000, coeffs=(0.5,), noise_std=1.0, rng=0)
    assert np.var(y) == pytest.approx(1 / (1 - 0.25), rel=0.05)  # AR(1) stationary variance
    u, y = narx_series(100)
    k = 40
    assert y[k + 1] == pytest.approx(y[k] * y[k - 1] * (y[k] + 2.5) / (1 + y[k] ** 2 + y[k - 1] ** 2) + u[k])
    feats, target = narx_regressors(u, y, kx=2, ky=3)
    assert feats.shape == (97, 6) and target.shape == (97,)
    np.testing.assert_array_equal(feats[0], [u[3], u[2], u[1], y[2], y[1], y[0]])
    assert target[0] == y[3]


def test_stdlib_corpus_is_deterministic_python_source():
    text = stdlib_corpus(max_chars=200_000)
    assert len(text) == 200_000 and text == stdlib_corpus(max_chars=200_000)
    assert "def " in text and "import " in text
    assert stdlib_corpus(max_chars=50_000) == text[:50_000]
    first = sorted(p for p in os.listdir(sysconfig.get_paths()["stdlib"]) if p.endswith(".py"))[0]
    with open(os.path.join(sysconfig.get_paths()["stdlib"], first), encoding="utf-8") as f:
        assert text.startswith(f.read()[:1000])
