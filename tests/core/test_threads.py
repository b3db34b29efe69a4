"""Thread count (PyTorch's get/set_num_threads) and the slice-parallel loops of core.threads."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.core import threads
from gradwise.functional import conv2d, conv_transpose2d


@pytest.fixture
def two_threads_always(monkeypatch):
    """Two threads, and no size threshold: every parallel loop really splits."""
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    monkeypatch.setattr(threads, "MIN_PARALLEL_ITEMS", 0)
    yield
    gw.set_num_threads(before)


def test_set_num_threads_round_trips_and_rejects_zero():
    before = gw.get_num_threads()
    try:
        gw.set_num_threads(1)
        assert gw.get_num_threads() == 1
        gw.set_num_threads(3)
        assert gw.get_num_threads() == 3
    finally:
        gw.set_num_threads(before)
    with pytest.raises(ValueError, match="expected n >= 1, got 0"):
        gw.set_num_threads(0)


def test_parallel_slices_cover_the_range_once(two_threads_always):
    seen = np.zeros(7, dtype=int)
    threads.parallel_slices(lambda s: np.add.at(seen, np.arange(7)[s], 1), 7, items=7)
    assert seen.tolist() == [1] * 7


def test_parallel_slices_reraise_a_worker_error(two_threads_always):
    def fail_on_second_half(s):
        if s.start > 0:
            raise RuntimeError("slice failed")

    with pytest.raises(RuntimeError, match="slice failed"):
        threads.parallel_slices(fail_on_second_half, 4, items=4)


def test_small_work_stays_on_the_calling_thread():
    calls = []
    threads.parallel_slices(calls.append, 10, items=threads.MIN_PARALLEL_ITEMS - 1)
    assert calls == [slice(0, 10)]


@pytest.mark.parametrize("shape, w_shape, kw", [
    ((2, 3, 24, 24), (4, 3, 3, 3), dict(padding=1)),                 # sample-major columns
    ((2, 3, 24, 24), (16, 3, 3, 3), dict(padding=1)),                # channel-major, large
    ((3, 4, 9, 7), (6, 2, 3, 3), dict(padding=1, stride=2, groups=2)),  # channel-major columns
])
def test_threaded_conv_equals_single_threaded(rng, monkeypatch, shape, w_shape, kw):
    x, w, b = rng.standard_normal(shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    wt = rng.standard_normal((shape[1], 2, 3, 3))  # conv_transpose2d weight (C_in, C_out, kH, kW)

    def run():
        xs = [gw.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = conv2d(*xs, **kw)
        (y * y).sum().backward()
        z = conv_transpose2d(xs[0], gw.tensor(wt), stride=2)
        return [y.detach().numpy(), z.detach().numpy()] + [t.grad.numpy() for t in xs]

    before = gw.get_num_threads()
    gw.set_num_threads(1)
    single = run()
    gw.set_num_threads(2)
    monkeypatch.setattr(threads, "MIN_PARALLEL_ITEMS", 0)
    try:
        split = run()
    finally:
        gw.set_num_threads(before)
    for a, c in zip(single, split):
        np.testing.assert_array_equal(a, c)  # same arithmetic, only split across threads
