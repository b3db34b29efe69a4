"""The batch-split conv2d path (one slice of samples per thread, single-threaded BLAS) equals
the whole-batch kernel, forward and backward, in float64 to 1e-12."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.core import threads
from gradwise.functional import conv

pytestmark = pytest.mark.skipif(threads.openblas_function("set_num_threads") is None,
                                reason="BLAS thread count cannot be set: the split path is off")

CASES = [  # (N, C_in, C_out, H, kernel, stride, pads, dilation, groups)
    (8, 1, 6, 28, 5, 1, ((2, 2), (2, 2)), 1, 1),     # sample-major columns (LeNet C1)
    (5, 8, 32, 16, 3, 1, ((1, 1), (1, 1)), 1, 1),    # channel-major, odd batch
    (4, 8, 16, 17, 3, 2, ((0, 1), (1, 0)), 2, 2),    # stride, dilation, groups, uneven pads
]


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(threads, "MIN_SPLIT_WORK", 1)
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    yield
    gw.set_num_threads(before)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("input_grad", [True, False])
def test_split_equals_the_whole_kernel(case, input_grad, two_threads):
    N, C, Co, H, k, s, pads, d, g = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H))
    w = rng.standard_normal((Co, C // g, k, k))
    b = rng.standard_normal(Co)
    args = ((s, s), pads, (d, d), g, (input_grad, True, True))
    y, cache = conv.conv2d_forward(x, w, b, *args)
    assert isinstance(cache, conv._SplitCache) and len(cache.slices) == 2
    y_ref, cache_ref = conv._conv2d_whole(x, w, b, *args)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(conv.conv2d_backward(dy, cache), conv._conv2d_whole_backward(dy, cache_ref)):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-11)


def test_split_layer_matches_torch_and_blas_threads_come_back(two_threads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 12, 12))
    layer = gw.nn.Conv2d(3, 8, 3, padding=1, dtype=gw.float64)
    xt = gw.tensor(x, requires_grad=True)
    layer(xt).square().sum().backward()
    assert gw.get_num_threads() == 2
    ref = torch.nn.Conv2d(3, 8, 3, padding=1, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.array))
        ref.bias.copy_(torch.from_numpy(layer.bias.array))
    xr = torch.from_numpy(x).requires_grad_()
    ref(xr).square().sum().backward()
    np.testing.assert_allclose(xt.grad.array, xr.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.array, ref.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.array, ref.bias.grad.numpy(), rtol=1e-12)


def test_small_work_or_one_thread_runs_whole():
    x, w = np.ones((4, 2, 8, 8)), np.ones((3, 2, 3, 3))
    _, cache = conv.conv2d_forward(x, w)
    assert not isinstance(cache, conv._SplitCache)  # 4·36·18·3 multiply-adds < MIN_SPLIT_WORK
    before = gw.get_num_threads()
    gw.set_num_threads(1)
    try:
        assert threads.split_rows(64, 10**9) is None
    finally:
        gw.set_num_threads(before)


def test_an_error_in_a_slice_is_raised_and_blas_threads_come_back(two_threads):
    def fail():
        raise ValueError("slice failed")
    with pytest.raises(ValueError, match="slice failed"):
        threads.run_concurrently([lambda: 1, fail])
    assert gw.get_num_threads() == 2


def test_repeated_split_steps_keep_at_most_one_buffer_per_slice(two_threads):
    from gradwise.core.memory import workspace
    gw.empty_cache()
    rng = np.random.default_rng(2)
    x = gw.tensor(rng.standard_normal((8, 16, 24, 24)).astype(np.float32), requires_grad=True)
    w = gw.tensor(rng.standard_normal((32, 16, 3, 3)).astype(np.float32), requires_grad=True)
    for _ in range(6):
        gw.functional.conv2d(x, w, padding=1).sum().backward()
        assert all(len(pool) <= 2 for pool in workspace._buffers.values())
    gw.empty_cache()
