import math

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.nn.attention import (
    AdditiveAttention, DotAttention, GeneralAttention, additive_attention, dot_product_attention,
)
from helpers import compare_with_torch


def _mask(rng, n, t, s):
    m = rng.random((n, t, s)) > 0.3
    m[:, :, 0] = True  # every query keeps at least one key
    return m


def test_dot_attention_matches_torch_sdpa_with_mask(rng):
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 6))
    m = _mask(rng, 2, 3, 5)
    scale = 1 / math.sqrt(4)

    def torch_fn(q, k, v):
        c = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(m))
        w = torch.softmax((q @ k.transpose(1, 2) * scale).masked_fill(~torch.tensor(m), -math.inf), -1)
        return c, w

    compare_with_torch(lambda q, k, v: dot_product_attention(q, k, v, m, scale), torch_fn,
                       [q, k, v])


def test_dot_attention_float32_matches_torch(rng):
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((3, 2, 8), (3, 7, 8), (3, 7, 8)))
    compare_with_torch(
        lambda q, k, v: dot_product_attention(q, k, v, None, 1 / math.sqrt(8))[0],
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v),
        [q, k, v], atol=1e-5, rtol=1e-4,
    )


def _additive_torch(qp, kp, va, vals, m):
    e = torch.tanh(qp[:, :, None, :] + kp[:, None, :, :]) @ va
    e = e.masked_fill(~torch.tensor(m), -math.inf)
    w = torch.softmax(e, -1)
    return w @ vals, w


def test_additive_attention_matches_hand_transcription_in_torch(rng):
    qp, kp = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 4, 5))
    va, vals = rng.standard_normal(5), rng.standard_normal((2, 4, 3))
    m = _mask(rng, 2, 3, 4)
    compare_with_torch(lambda *a: additive_attention(*a, m),
                       lambda *a: _additive_torch(*a, m), [qp, kp, va, vals])


def test_additive_attention_gradcheck(rng):
    args = [gw.tensor(rng.standard_normal(s), requires_grad=True)
            for s in ((2, 3, 4), (2, 5, 4), (4,), (2, 5, 3))]
    m = _mask(rng, 2, 3, 5)
    assert gradcheck(lambda *a: additive_attention(*a, m), args)


def test_dot_attention_gradcheck(rng):
    args = [gw.tensor(rng.standard_normal(s), requires_grad=True)
            for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    m = _mask(rng, 2, 3, 5)[:, 0]  # (N, S) key-padding mask
    assert gradcheck(lambda *a: dot_product_attention(*a, m, 0.7), args)


def test_masked_positions_get_zero_weight_and_no_gradient(rng):
    att = AdditiveAttention(4, 6, 5, dtype=np.float64)
    q = gw.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    keys = gw.tensor(rng.standard_normal((2, 7, 6)), requires_grad=True)
    lengths = np.array([7, 3])
    mask = np.arange(7)[None, :] < lengths[:, None]  # (N, S)
    c, w = att(q, keys, mask=mask)
    assert c.shape == (2, 6) and w.shape == (2, 7)
    assert np.all(w.array[1, 3:] == 0.0)
    np.testing.assert_allclose(w.array.sum(-1), 1.0)
    (c.sum() + (w * gw.tensor(rng.standard_normal((2, 7)))).sum()).backward()
    assert np.all(keys.grad.array[1, 3:] == 0.0)  # padded keys influence nothing
    assert np.any(keys.grad.array[0, 3:] != 0.0)


def test_fully_masked_query_gets_zero_context():
    q, k = gw.ones(1, 1, 2, dtype=np.float64), gw.ones(1, 3, 2, dtype=np.float64)
    c, w = dot_product_attention(q, k, k, np.zeros((1, 3), bool))
    assert np.all(w.array == 0) and np.all(c.array == 0) and np.all(np.isfinite(c.array))


def test_general_attention_module_matches_torch_and_gradchecks(rng):
    gw.manual_seed(0)
    att = GeneralAttention(3, 4, dtype=np.float64)
    wa = att.proj.weight.array  # (key_size, query_size) = W_aᵀ
    q, k = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 5, 4))

    def torch_fn(q, k):
        e = q @ torch.tensor(wa.T) @ k.transpose(1, 2)  # qᵀ W_a k
        w = torch.softmax(e, -1)
        return w @ k, w

    compare_with_torch(lambda q, k: att(q, k), torch_fn, [q, k])
    params = [gw.tensor(q, requires_grad=True), gw.tensor(k, requires_grad=True)]
    assert gradcheck(lambda q, k: att(q, k), params)


def test_additive_module_gradcheck_through_parameters(rng):
    gw.manual_seed(1)
    att = AdditiveAttention(3, 4, 5, dtype=np.float64)
    q, k = gw.tensor(rng.standard_normal((2, 3))), gw.tensor(rng.standard_normal((2, 4, 4)))
    ps = [att.query_proj.weight, att.query_proj.bias, att.key_proj.weight, att.v]
    assert gradcheck(lambda *p: att(q, k, mask=np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool)), ps)


def test_dot_attention_scaled_module_and_single_query(rng):
    att = DotAttention(scaled=True)
    q, k = rng.standard_normal((2, 8)), rng.standard_normal((2, 5, 8))
    c, w = att(gw.tensor(q), gw.tensor(k))
    tc = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q)[:, None], torch.tensor(k), torch.tensor(k))[:, 0]
    np.testing.assert_allclose(c.array, tc.numpy(), atol=1e-12)
    assert w.shape == (2, 5)


def test_attention_errors_name_the_layer():
    att = AdditiveAttention(3, 4)
    with pytest.raises(ValueError, match=r"AdditiveAttention.*expected query \(N, T_q, 3\)"):
        att(gw.zeros(2, 1, 5), gw.zeros(2, 6, 4))
    with pytest.raises(ValueError, match="does not broadcast"):
        att(gw.zeros(2, 3), gw.zeros(2, 6, 4), mask=np.ones((2, 5), bool))
    with pytest.raises(TypeError, match="boolean"):
        att(gw.zeros(2, 3), gw.zeros(2, 6, 4), mask=np.ones((2, 6)))
    with pytest.raises(ValueError, match="DotAttention.*query size 3 must equal key size 4"):
        DotAttention()(gw.zeros(2, 3), gw.zeros(2, 6, 4))
    with pytest.raises(ValueError, match="attention_size must be a positive int"):
        AdditiveAttention(3, 4, 0)
