"""Tensor construction, dtypes, factories, RNG and conversions."""
import numpy as np
import pytest

import gradwise as gw


def test_tensor_infers_default_float_and_int64_like_torch():
    assert gw.tensor([1.0, 2.0]).dtype == gw.float32
    assert gw.tensor([1, 2]).dtype == gw.int64
    assert gw.tensor([True]).dtype == gw.bool_
    assert gw.tensor(np.zeros(3, np.float64)).dtype == gw.float64
    assert gw.tensor([1, 2], dtype=gw.float64).dtype == gw.float64


def test_set_default_dtype_switches_new_floating_tensors():
    try:
        gw.set_default_dtype(gw.float64)
        assert gw.tensor([1.5]).dtype == gw.float64 and gw.zeros(2).dtype == gw.float64
        assert gw.randn(2).dtype == gw.float64
    finally:
        gw.set_default_dtype(gw.float32)
    with pytest.raises(TypeError):
        gw.set_default_dtype(np.int32)


def test_factories_have_expected_shapes_and_values():
    assert gw.zeros(2, 3).shape == (2, 3) and gw.ones((4,)).array.sum() == 4
    assert gw.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert gw.arange(5).tolist() == [0, 1, 2, 3, 4] and gw.arange(5).dtype == gw.int64
    assert gw.arange(0, 1, 0.25).dtype == gw.float32
    np.testing.assert_array_equal(gw.eye(3).array, np.eye(3))
    assert gw.empty(3, 2).shape == (3, 2)


def test_manual_seed_makes_rand_randn_randint_reproducible():
    gw.manual_seed(123)
    a = (gw.rand(3).array, gw.randn(2, 2).array, gw.randint(0, 10, (5,)).array)
    gw.manual_seed(123)
    b = (gw.rand(3).array, gw.randn(2, 2).array, gw.randint(0, 10, (5,)).array)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert ((a[0] >= 0) & (a[0] < 1)).all() and ((a[2] >= 0) & (a[2] < 10)).all()


def test_rng_state_round_trip():
    gw.manual_seed(0)
    state = gw.get_rng_state()
    x = gw.randn(4).array
    gw.set_rng_state(state)
    np.testing.assert_array_equal(gw.randn(4).array, x)


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3, np.float32)
    t, c = gw.from_numpy(a), gw.tensor(a)
    a[0] = 5
    assert t.array[0] == 5 and c.array[0] == 0


def test_accessors_item_tolist_size_T_numpy():
    t = gw.tensor([[1.0, 2.0, 3.0]])
    assert t.shape == (1, 3) and t.ndim == 2 and t.size() == (1, 3) and t.size(1) == 3
    assert t.T.shape == (3, 1) and t.tolist() == [[1.0, 2.0, 3.0]]
    assert t.sum().item() == 6.0 and isinstance(t.numpy(), np.ndarray)
    with pytest.raises(ValueError, match="one-element"):
        t.item()


def test_numpy_on_tensor_requiring_grad_raises_like_torch():
    with pytest.raises(RuntimeError, match="detach"):
        gw.ones(2, requires_grad=True).numpy()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gw.tensor([1, 2], requires_grad=True)


def test_comparisons_return_bool_tensors():
    t = gw.tensor([1.0, 2.0, 3.0])
    assert (t > 1.5).tolist() == [False, True, True] and (t == 2.0).dtype == gw.bool_
    assert (~(t > 1.5)).tolist() == [True, False, False]


def test_to_casts_dtype_and_keeps_gradient_flow():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(gw.float64)
    assert y.dtype == gw.float64
    (y * 3).sum().backward()
    assert x.grad.dtype == gw.float32 and x.grad.tolist() == [3.0, 3.0]


def test_repr_shows_values_and_grad_fn():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<mulBackward>" in repr(x * 2)
