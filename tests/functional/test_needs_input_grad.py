"""Kernels learn which inputs need a gradient from apply_op's ``needs_input_grad``."""
import numpy as np

import gradwise as gw
from gradwise.core import autograd
from gradwise.functional import conv as conv_module
from gradwise.functional import gru, lstm


def test_apply_op_passes_needs_input_grad_only_to_forwards_that_ask():
    seen = {}

    def asks_forward(a, b, scale=1.0, needs_input_grad=None):
        seen["flags"] = needs_input_grad
        return a * scale, None

    def plain_forward(a, b):
        return a + b, None

    x = gw.tensor([1.0], requires_grad=True)
    autograd.apply_op(asks_forward, None, x, gw.tensor([2.0]), scale=2.0)
    assert seen["flags"] == (True, False)
    with gw.no_grad():
        autograd.apply_op(asks_forward, None, x, 3.0)
    assert seen["flags"] == (False, False)
    autograd.apply_op(plain_forward, lambda g, c: (g, g), x, x)  # no keyword: not passed


def test_conv2d_skips_col2im_when_the_input_needs_no_gradient(monkeypatch):
    calls = []
    real = conv_module._col2im6
    monkeypatch.setattr(conv_module, "_col2im6", lambda *a, **k: calls.append(1) or real(*a, **k))
    rng = np.random.default_rng(0)
    w = gw.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    for x_grad, expected_calls in ((False, 0), (True, 1)):
        calls.clear()
        x = gw.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=x_grad)
        gw.functional.conv2d(x, w, padding=1).sum().backward()
        assert len(calls) == expected_calls
        assert (x.grad is not None) == x_grad and w.grad is not None


def test_recurrent_kernels_keep_no_cache_when_nothing_needs_a_gradient():
    rng = np.random.default_rng(1)
    T, N, D, H = 3, 2, 4, 5
    x = rng.standard_normal((T, N, D))
    lw = [rng.standard_normal(s) for s in ((4 * H, D), (4 * H, H), (4 * H,), (4 * H,))]
    gw_ = [rng.standard_normal(s) for s in ((3 * H, D), (3 * H, H), (3 * H,), (3 * H,))]
    _, none = lstm.lstm_forward(x, None, None, *lw, needs_input_grad=(False,) * 8)
    _, cache = lstm.lstm_forward(x, None, None, *lw, needs_input_grad=(True,) + (False,) * 7)
    assert none is None and cache is not None
    _, none = gru.gru_forward(x, None, *gw_, needs_input_grad=(False,) * 6)
    _, cache = gru.gru_forward(x, None, *gw_, needs_input_grad=(False,) * 5 + (True,))
    assert none is None and cache is not None
