"""Regression: reverse direction of a packed batch must not read uninitialised memory."""
import numpy as np
import pytest

import gradwise as gw
from gradwise import nn
from gradwise.functional import rnn_common
from gradwise.nn.utils.rnn import pack_padded_sequence


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_bidirectional_packed_weight_gradients_stay_finite_with_garbage_memory(mode, monkeypatch):
    # make every np.empty_like in the RNN helpers return NaN-filled memory, as stale memory can
    monkeypatch.setattr(rnn_common.np, "empty_like",
                        lambda a, *args, **kw: np.full_like(a, np.nan, *args, **kw))
    gw.manual_seed(0)
    m = getattr(nn, mode)(3, 4, bidirectional=True).double()
    x = gw.tensor(np.random.default_rng(0).standard_normal((5, 3, 3)), requires_grad=True)
    packed = pack_padded_sequence(x, [5, 3, 2])
    out, _ = m(packed)
    out.data.sum().backward()
    for name, p in m.named_parameters():
        assert np.isfinite(p.grad.array).all(), f"{name} gradient is not finite"
