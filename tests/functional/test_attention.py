"""F.scaled_dot_product_attention and the attention kernels against PyTorch, plus gradchecks."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import gradwise as gw
import gradwise.functional as F
from gradwise.autograd import gradcheck
from gradwise.functional.attention import (
    dot_attention_backward, dot_attention_forward, masked_softmax,
)
from helpers import compare_with_torch

tF = torch.nn.functional


def _qkv(rng, lead=(2, 3), L=4, S=5, E=6, Ev=7, dtype=np.float64):
    return [rng.standard_normal(lead + s).astype(dtype) for s in ((L, E), (S, E), (S, Ev))]


def test_sdpa_matches_torch_without_mask_4d(rng):
    compare_with_torch(F.scaled_dot_product_attention, tF.scaled_dot_product_attention,
                       _qkv(rng))


@pytest.mark.parametrize("mask_shape", [(4, 5), (2, 1, 4, 5), (2, 3, 4, 5), (1, 5)])
def test_sdpa_bool_mask_matches_torch(rng, mask_shape):
    m = rng.random(mask_shape) > 0.4
    m[..., 0] = True  # torch gives NaN gradients on fully masked rows; keep one key
    compare_with_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                       lambda q, k, v: tF.scaled_dot_product_attention(
                           q, k, v, attn_mask=torch.tensor(m)), _qkv(rng))


def test_sdpa_float_mask_and_scale_match_torch(rng):
    bias = rng.standard_normal((3, 4, 5))
    bias[:, :, 2] = -np.inf
    compare_with_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=0.3),
        lambda q, k, v: tF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(bias),
                                                        scale=0.3), _qkv(rng))


@pytest.mark.parametrize("L,S", [(4, 4), (3, 5), (5, 3)])
def test_sdpa_is_causal_matches_torch(rng, L, S):
    compare_with_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: tF.scaled_dot_product_attention(q, k, v, is_causal=True),
        _qkv(rng, lead=(2,), L=L, S=S))


def test_sdpa_grouped_query_attention_matches_torch(rng):
    q = rng.standard_normal((2, 6, 4, 3))
    k, v = rng.standard_normal((2, 2, 5, 3)), rng.standard_normal((2, 2, 5, 3))
    compare_with_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        lambda q, k, v: tF.scaled_dot_product_attention(q, k, v, enable_gqa=True), [q, k, v])


def test_sdpa_broadcasts_key_and_value_batch_dims(rng):
    q = rng.standard_normal((2, 3, 4, 6))
    k, v = rng.standard_normal((1, 3, 5, 6)), rng.standard_normal((5, 6))
    compare_with_torch(F.scaled_dot_product_attention,
                       lambda q, k, v: tF.scaled_dot_product_attention(
                           q, k, v.expand(2, 3, 5, 6)), [q, k, v])


def test_sdpa_float32_matches_torch(rng):
    compare_with_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: tF.scaled_dot_product_attention(q, k, v, is_causal=True),
        _qkv(rng, dtype=np.float32, L=5, S=5), atol=1e-6, rtol=1e-5)


def test_sdpa_fully_masked_query_gives_zero_output_like_torch(rng):
    q, k, v = _qkv(rng, lead=(1,), L=2, S=3)
    m = np.array([[False] * 3, [True, False, True]])
    ours = F.scaled_dot_product_attention(gw.tensor(q), gw.tensor(k), gw.tensor(v), attn_mask=m)
    theirs = tF.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)),
                                             attn_mask=torch.tensor(m))
    np.testing.assert_allclose(ours.array, theirs.numpy(), atol=1e-12)
    assert np.all(ours.array[0, 0] == 0)


def test_sdpa_gradcheck_with_mask_and_causal(rng):
    args = [gw.tensor(a, requires_grad=True) for a in _qkv(rng, lead=(2,), L=3, S=3, E=2, Ev=2)]
    m = np.array([[True, False, True], [True, True, False], [False, True, True]])
    assert gradcheck(lambda *a: F.scaled_dot_product_attention(*a, attn_mask=m), args)
    assert gradcheck(lambda *a: F.scaled_dot_product_attention(*a, is_causal=True), args)


def test_dropout_is_seeded_by_rng_and_scales_kept_weights(rng):
    q, k, v = (gw.tensor(a) for a in _qkv(rng, lead=(2,)))
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=np.random.default_rng(3))
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.array, b.array)
    # the kernel's returned weights: dropped entries 0, kept ones α / (1 − p)
    keep = np.where(np.random.default_rng(1).random((2, 4, 5)) >= 0.5, 2.0, 0.0)
    (c, wd), _ = dot_attention_forward(q.array, k.array, v.array, None, 0.4, keep=keep)
    w = masked_softmax(q.array @ k.array.transpose(0, 2, 1) * 0.4)
    np.testing.assert_allclose(wd, w * keep, atol=1e-15)
    np.testing.assert_allclose(c, (w * keep) @ v.array, atol=1e-13)


def test_dropout_backward_gradchecks_with_a_fixed_mask(rng):
    keep = np.where(np.random.default_rng(1).random((2, 3, 4)) >= 0.3, 1 / 0.7, 0.0)

    def f(q, k, v):
        return gw.autograd.apply_op(dot_attention_forward, dot_attention_backward, q, k, v, None,
                                    scale=0.5, keep=keep)

    args = [gw.tensor(a, requires_grad=True) for a in _qkv(rng, lead=(2,), L=3, S=4, E=2, Ev=3)]
    assert gradcheck(f, args)


@settings(max_examples=20, deadline=None)
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), L=st.integers(1, 5),
       S=st.integers(1, 5), E=st.integers(1, 4))
def test_attention_weights_are_a_distribution_over_keys(lead, L, S, E):
    r = np.random.default_rng(L * 100 + S * 10 + E)
    q, k = r.standard_normal((*lead, L, E)), r.standard_normal((*lead, S, E))
    (c, w), _ = dot_attention_forward(q, k, k, None, 1 / math.sqrt(E))
    assert c.shape == (*lead, L, E) and w.shape == (*lead, L, S)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-12)
    assert np.all(w >= 0)


def test_sdpa_errors_are_clear():
    q, k = gw.zeros(2, 3, 4), gw.zeros(2, 5, 4)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: expected query"):
        F.scaled_dot_product_attention(q, gw.zeros(2, 5, 3), k)
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((4, 5), bool))
    with pytest.raises(TypeError, match="attn_mask must be bool or floating point"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((3, 5), np.int64))
    with pytest.raises(ValueError, match="dropout_p must be in"):
        F.scaled_dot_product_attention(q, k, k, dropout_p=1.5)
    with pytest.raises(ValueError, match="enable_gqa needs query heads 3"):
        F.scaled_dot_product_attention(gw.zeros(1, 3, 2, 4), gw.zeros(1, 2, 2, 4),
                                       gw.zeros(1, 2, 2, 4), enable_gqa=True)


def test_sdpa_generator_is_rng_under_its_other_name(rng):
    q, k, v = (gw.tensor(a) for a in _qkv(rng, lead=(2,)))
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3, rng=np.random.default_rng(4))
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3,
                                       generator=np.random.default_rng(4))
    np.testing.assert_array_equal(a.array, b.array)
    c = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3, generator=np.random.default_rng(5))
    assert not np.array_equal(a.array, c.array)


def test_multi_head_attention_forward_matches_torch_functional(rng):
    E, H = 6, 3
    w_in, b_in = rng.standard_normal((3 * E, E)), rng.standard_normal(3 * E)
    w_out, b_out = rng.standard_normal((E, E)), rng.standard_normal(E)
    bk, bv = rng.standard_normal((1, 1, E)), rng.standard_normal((1, 1, E))
    q, k = rng.standard_normal((4, 2, E)), rng.standard_normal((5, 2, E))
    kpm = np.array([[False] * 5, [False, False, True, False, True]])

    def run(lib, fn, *a):
        return fn(*a[:3], E, H, *a[3:5], *a[5:7], True, 0.0, *a[7:], training=False,
                  key_padding_mask=lib(kpm), average_attn_weights=False)

    compare_with_torch(
        lambda *a: run(np.asarray, F.multi_head_attention_forward, *a),
        lambda *a: run(torch.tensor, tF.multi_head_attention_forward, *a),
        [q, k, k, w_in, b_in, bk, bv, w_out, b_out])


def test_a_mask_with_more_batch_dims_than_the_scores_is_refused():
    q = gw.zeros(3, 4, 2)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 3, 4, 4\) does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 3, 4, 4), bool))
