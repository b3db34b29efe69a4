"""The recurrent time loops run their small step GEMMs with single-threaded BLAS
(rnn_common.step_blas), give the same numbers either way, and hand the thread count back."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.core import threads
from gradwise.functional import gru, lstm, rnn, rnn_common

pytestmark = pytest.mark.skipif(threads.openblas_function("set_num_threads") is None,
                                reason="BLAS thread count cannot be set")

KERNELS = {  # forward(x, h0, weights) (the LSTM's c0 is h0 too), backward
    "lstm": (lambda x, h, w: lstm.lstm_forward(x, h, h, *w), lstm.lstm_backward),
    "gru": (lambda x, h, w: gru.gru_forward(x, h, *w), gru.gru_backward),
    "rnn": (lambda x, h, w: rnn.rnn_forward(x, h, *w), rnn.rnn_backward),
}


def _weights(kind, D, H, rng):
    g = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    return (rng.standard_normal((g * H, D)), rng.standard_normal((g * H, H)),
            rng.standard_normal(g * H), rng.standard_normal(g * H))


@pytest.fixture
def two_threads():
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    yield
    gw.set_num_threads(before)


@pytest.mark.parametrize("kind", sorted(KERNELS))
def test_single_threaded_loop_equals_the_threaded_one(kind, two_threads, monkeypatch):
    forward, backward = KERNELS[kind]
    rng = np.random.default_rng(0)
    T, N, D, H = 5, 3, 4, 6
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    w = _weights(kind, D, H, rng)
    seen = []
    real_prev_rows = rnn_common.prev_rows

    def spy(*args):
        seen.append(gw.get_num_threads())
        return real_prev_rows(*args)

    for module in (lstm, gru, rnn):
        monkeypatch.setattr(module, "prev_rows", spy)
    results = []
    for min_work in (float("inf"), 0):  # always single-threaded, never
        monkeypatch.setattr(rnn_common, "THREADED_STEP_MIN_WORK", min_work)
        seen.clear()
        outs, cache = forward(x, h0, w)
        grads = backward(tuple(np.ones_like(o) for o in outs), cache)
        assert set(seen) == ({1} if min_work else {2})
        assert gw.get_num_threads() == 2
        results.append([*outs, *(g for g in grads if g is not None)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_single_threaded_blas_restores_the_count_after_an_error(two_threads):
    with pytest.raises(RuntimeError):
        with threads.single_threaded_blas():
            assert gw.get_num_threads() == 1
            raise RuntimeError("inside")
    assert gw.get_num_threads() == 2
    with threads.single_threaded_blas(active=False):
        assert gw.get_num_threads() == 2
