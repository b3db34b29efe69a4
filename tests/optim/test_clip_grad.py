"""nn.utils.clip_grad_norm_ / clip_grad_value_: parity with PyTorch (one global norm)."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
from gradwise.nn.utils import (
    clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
)

SHAPES = [(4, 3), (3,), (2, 2, 2), ()]


def make_params(rng, dtype=np.float64, scale=3.0, with_none=True):
    """Parameters with gradients of different sizes (and one without a gradient) in both libs."""
    grads = [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    t_dtype = getattr(torch, str(np.dtype(dtype)))
    g_params, t_params = [], []
    for g in grads:
        gp = gw.zeros(g.shape, dtype=dtype, requires_grad=True)
        tp = torch.zeros(g.shape, dtype=t_dtype, requires_grad=True)
        gp.grad, tp.grad = gw.tensor(g.copy()), torch.tensor(g.copy())
        g_params.append(gp)
        t_params.append(tp)
    if with_none:
        g_params.append(gw.zeros(5, dtype=dtype, requires_grad=True))
        t_params.append(torch.zeros(5, dtype=t_dtype, requires_grad=True))
    return g_params, t_params


def assert_grads_close(g_params, t_params, **tol):
    for gp, tp in zip(g_params, t_params):
        if tp.grad is None:
            assert gp.grad is None
        else:
            assert gp.grad.dtype == np.dtype(str(tp.grad.dtype).replace("torch.", ""))
            np.testing.assert_allclose(gp.grad.array, tp.grad.numpy(), **tol)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])  # clips / leaves the gradients alone
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    g_params, t_params = make_params(rng)
    g_total = clip_grad_norm_(g_params, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    assert isinstance(g_total, gw.Tensor) and g_total.shape == () and g_total.dtype == np.float64
    np.testing.assert_allclose(g_total.item(), t_total.item(), rtol=1e-12)
    assert_grads_close(g_params, t_params, rtol=1e-12, atol=0)


def test_clip_grad_norm_uses_one_global_norm_not_one_per_tensor(rng):
    g_params, _ = make_params(rng, with_none=False)
    grads = [p.grad.array.copy() for p in g_params]
    total = clip_grad_norm_(g_params, max_norm=1.0).item()
    assert total == pytest.approx(np.sqrt(sum((g**2).sum() for g in grads)), rel=1e-12)
    coef = 1.0 / (total + 1e-6)
    for p, g in zip(g_params, grads):  # every gradient scaled by the same factor
        np.testing.assert_allclose(p.grad.array, g * coef, rtol=1e-14)
    new_total = np.sqrt(sum((p.grad.array**2).sum() for p in g_params))
    assert new_total == pytest.approx(1.0, rel=1e-5)  # (1e-6 in the denominator)


def test_clip_grad_norm_float32_keeps_dtype_and_matches_torch(rng):
    g_params, t_params = make_params(rng, dtype=np.float32)
    g_total = clip_grad_norm_(g_params, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, 1.0)
    assert g_total.dtype == np.float32
    np.testing.assert_allclose(g_total.item(), t_total.item(), rtol=1e-6)
    assert_grads_close(g_params, t_params, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_clip_grad_norm_error_if_nonfinite_like_torch(bad, rng):
    g_params, t_params = make_params(rng)
    g_params[1].grad.array[0] = bad
    t_params[1].grad[0] = bad
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(t_params, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(g_params, 1.0, error_if_nonfinite=True)
    # without the flag both scale by the non-finite norm
    g_total = clip_grad_norm_(g_params, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, 1.0)
    assert np.isnan(g_total.item()) == np.isnan(t_total.item())
    assert_grads_close(g_params, t_params, rtol=1e-12, atol=0, equal_nan=True)


def test_clip_grad_norm_single_tensor_empty_list_and_generator():
    p = gw.zeros(3, dtype=np.float64, requires_grad=True)
    p.grad = gw.tensor([3.0, 4.0, 0.0], dtype=np.float64)
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.array, [3 / (5 + 1e-6), 4 / (5 + 1e-6), 0.0], rtol=1e-15)
    total = clip_grad_norm_([], 1.0)
    assert total.item() == torch.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((q for q in []), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_((q for q in [p]), 1.0)


def test_get_total_norm_and_clip_grads_with_norm_match_torch(rng):
    g_params, t_params = make_params(rng, with_none=False)
    g_total = get_total_norm([p.grad for p in g_params], norm_type=3.0)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t_params], norm_type=3.0)
    np.testing.assert_allclose(g_total.item(), t_total.item(), rtol=1e-12)
    clip_grads_with_norm_(g_params, 2.0, g_total)
    torch.nn.utils.clip_grads_with_norm_(t_params, 2.0, t_total)
    assert_grads_close(g_params, t_params, rtol=1e-12, atol=0)


@pytest.mark.parametrize("clip_value", [0.5, 2.0, 100.0])
def test_clip_grad_value_matches_torch(clip_value, rng):
    g_params, t_params = make_params(rng)
    assert clip_grad_value_(g_params, clip_value) is None
    torch.nn.utils.clip_grad_value_(t_params, clip_value)
    assert_grads_close(g_params, t_params, rtol=0, atol=0)
    assert max(np.abs(p.grad.array).max() for p in g_params if p.grad is not None) <= clip_value


def test_clipping_tames_an_exploding_rnn_gradient():
    """The seeds' motivation: a linear recurrence with ‖W‖ > 1 explodes over 30 steps."""
    w = gw.tensor(1.5 * np.eye(3), requires_grad=True)
    h = gw.tensor(np.ones(3))
    for _ in range(30):
        h = w @ h
    h.sum().backward()
    before = np.linalg.norm(w.grad.array)
    assert before > 1e5
    returned = clip_grad_norm_([w], max_norm=5.0)
    assert returned.item() == pytest.approx(before)
    assert np.linalg.norm(w.grad.array) == pytest.approx(5.0, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4),
       scale=st.floats(1e-3, 1e3), max_norm=st.floats(1e-2, 10.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]), seed=st.integers(0, 2**16))
def test_clipped_gradients_have_at_most_max_norm_and_keep_direction(sizes, scale, max_norm,
                                                                    norm_type, seed):
    rng = np.random.default_rng(seed)
    params = []
    for n in sizes:
        p = gw.zeros(n, dtype=np.float64, requires_grad=True)
        p.grad = gw.tensor(scale * rng.standard_normal(n), dtype=np.float64)
        params.append(p)
    before = np.concatenate([p.grad.array for p in params])
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type).item()
    after = np.concatenate([p.grad.array for p in params])
    assert total == pytest.approx(np.linalg.norm(before, norm_type), rel=1e-12)
    assert np.linalg.norm(after, norm_type) <= max_norm * (1 + 1e-12)
    factor = min(1.0, max_norm / (total + 1e-6))
    np.testing.assert_allclose(after, before * factor, rtol=1e-14)
