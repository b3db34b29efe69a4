"""Tensor methods about dtype, memory and construction, checked against PyTorch."""
import numpy as np
import pytest
import torch
from helpers import compare_with_torch

import gradwise as gw


def test_to_casts_between_floats_with_gradient_and_accepts_the_cpu(rng):
    x = rng.standard_normal((2, 3))
    compare_with_torch(lambda t: t.to(gw.float32).to("cpu").to(gw.float64) * 2,
                       lambda t: t.to(torch.float32).to("cpu").to(torch.float64) * 2, [x], atol=1e-6)
    t = gw.tensor(x)
    assert t.to("cpu", gw.float32).dtype == np.float32
    assert t.to(device="cpu", dtype=gw.float16).dtype == np.float16
    assert t.to(gw.zeros(1, dtype=gw.int64)).dtype == np.int64
    assert t.to("cpu") is t and t.cpu() is t
    assert t.to(copy=True) is not t and np.array_equal(t.to(copy=True).array, x)


def test_type_names_and_casts_match_torch():
    for dtype, tdtype in ((gw.float32, torch.float32), (gw.float64, torch.float64),
                          (gw.int64, torch.int64), (gw.uint8, torch.uint8), (gw.bool, torch.bool)):
        assert gw.zeros(1, dtype=dtype).type() == torch.zeros(1, dtype=tdtype).type()
    assert gw.ones(2).type(gw.int64).dtype == np.int64
    assert gw.ones(2).type("torch.DoubleTensor").dtype == np.float64
    assert gw.ones(2).type_as(gw.zeros(1, dtype=gw.float16)).dtype == np.float16


def test_new_factories_take_the_tensors_dtype_like_torch():
    ours, theirs = gw.zeros(2, dtype=gw.float64), torch.zeros(2, dtype=torch.float64)
    for name, args in (("new_zeros", (2, 3)), ("new_ones", ((2, 3),)), ("new_full", ((2,), 7.0))):
        a, b = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a.array, b.numpy())
    assert ours.new_empty(4).shape == (4,) and ours.new_empty(4).dtype == np.float64
    new = ours.new_tensor([1, 2])
    assert new.dtype == np.float64 and new.tolist() == [1.0, 2.0] and not new.requires_grad


def test_clone_copies_memory_and_passes_the_gradient(rng):
    x = rng.standard_normal(4)
    compare_with_torch(lambda t: t.clone() * 3, lambda t: t.clone() * 3, [x])
    t = gw.tensor(x)
    c = t.clone()
    c.add_(1.0)
    np.testing.assert_array_equal(t.array, x)


def test_view_as_expand_as_contiguous_stride_and_sizes_match_torch(rng):
    x = rng.standard_normal((2, 6))
    compare_with_torch(lambda t: t.view_as(gw.zeros(3, 4)), lambda t: t.view_as(torch.zeros(3, 4)),
                       [x])
    ours, theirs = gw.tensor(x), torch.tensor(x)
    assert ours.contiguous().shape == (2, 6) and ours.is_contiguous() == theirs.is_contiguous()
    assert ours.stride() == theirs.stride() and ours.T.stride() == theirs.T.stride()
    assert ours.element_size() == theirs.element_size() == 8
    assert ours.numel() == ours.nelement() == theirs.nelement() and ours.dim() == theirs.dim()
    assert ours.is_floating_point() and not gw.zeros(1, dtype=gw.int64).is_floating_point()


def test_zero_dim_tensor_formats_and_indexes_like_torch():
    loss, i = gw.tensor(0.123456), gw.tensor(2)
    assert f"{loss:.3f}" == f"{torch.tensor(0.123456):.3f}" == "0.123"
    assert [10, 20, 30][i] == 30 and list(range(5))[gw.tensor(1):i] == [1]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][gw.tensor(1.0)]


def test_random_in_place_fills_use_the_library_rng():
    gw.manual_seed(0)
    a = gw.zeros(1000).bernoulli_(0.3)
    assert set(np.unique(a.array)) <= {0.0, 1.0} and 0.25 < a.array.mean() < 0.35
    b = gw.zeros(1000).exponential_(2.0)
    assert (b.array > 0).all() and 0.4 < b.array.mean() < 0.6
    c = gw.zeros(100, dtype=gw.int64).random_(3, 7)
    assert c.array.min() >= 3 and c.array.max() < 7


def test_device_properties_say_cpu():
    t = gw.zeros(2)
    assert t.device == gw.device("cpu") and t.device.type == "cpu" and str(t.device) == "cpu"
    assert not t.is_cuda
