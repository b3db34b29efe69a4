"""nn.MultiheadAttention against torch.nn.MultiheadAttention: forward, every gradient, masks."""
import io

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from helpers import assert_grads_like_torch, assert_output_like_torch, to_gw, to_torch


def _pair(dtype=torch.float64, **kw):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, dtype=dtype, **kw)
    if kw.get("bias", True):  # PyTorch initialises the biases to 0; make them matter
        with torch.no_grad():
            t.in_proj_bias.normal_()
            t.out_proj.bias.normal_()
    g = gw.nn.MultiheadAttention(8, 2, dtype=np.dtype(str(dtype).removeprefix("torch.")), **kw)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, g


def _inputs(rng, kw, L=4, S=6, N=3, dtype=np.float64):
    shapes = [(L, N, 8), (S, N, kw.get("kdim", 8)), (S, N, kw.get("vdim", 8))]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    if kw.get("batch_first"):
        arrays = [np.ascontiguousarray(a.transpose(1, 0, 2)) for a in arrays]
    return arrays


def _compare(t, g, arrays, atol=1e-10, rtol=1e-8, **call):
    """Forward and the gradients of Σ r·out + Σ r'·weights w.r.t. inputs and parameters."""
    tin, gin = [to_torch(a) for a in arrays], [to_gw(a) for a in arrays]
    t_call = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in call.items()}
    to, tw = t(*tin, **t_call)
    go, gw_ = g(*gin, **call)
    assert_output_like_torch(go, to, atol, rtol)
    rng = np.random.default_rng(1)
    r = rng.standard_normal(go.shape).astype(go.dtype)
    t_loss, g_loss = (to * torch.tensor(r)).sum(), (go * gw.tensor(r)).sum()
    if tw is not None:
        assert gw_.shape == tuple(tw.shape)
        np.testing.assert_allclose(gw_.array, tw.detach().numpy(), atol=atol, rtol=rtol)
        r2 = rng.standard_normal(gw_.shape).astype(go.dtype)
        t_loss, g_loss = t_loss + (tw * torch.tensor(r2)).sum(), g_loss + (gw_ * gw.tensor(r2)).sum()
    else:
        assert gw_ is None
    t_loss.backward()
    g_loss.backward()
    assert_grads_like_torch(gin, tin, g, t, atol, rtol)


CONFIGS = [{}, {"batch_first": True}, {"kdim": 3, "vdim": 5}, {"bias": False},
           {"add_bias_kv": True}, {"add_zero_attn": True},
           {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(kw) or "default")
def test_mha_matches_torch_with_both_masks(rng, kw):
    t, g = _pair(**kw)
    kpm = np.zeros((3, 6), bool)
    kpm[1, 4:] = True
    am = np.triu(np.ones((4, 6), bool), 3)
    _compare(t, g, _inputs(rng, kw), key_padding_mask=kpm, attn_mask=am)


@pytest.mark.parametrize("average", [True, False])
def test_mha_per_head_or_averaged_weights_match_torch(rng, average):
    t, g = _pair()
    _compare(t, g, _inputs(rng, {}), average_attn_weights=average)


def test_mha_without_weights_and_float_masks_match_torch(rng):
    t, g = _pair(batch_first=True)
    am = rng.standard_normal((3 * 2, 4, 6))  # (N·h, L, S) float bias
    kpm = np.where(rng.random((3, 6)) > 0.7, -np.inf, 0.0)
    kpm[:, 0] = 0.0
    _compare(t, g, _inputs(rng, {"batch_first": True}), need_weights=False, attn_mask=am,
             key_padding_mask=kpm)


def test_mha_self_attention_with_causal_hint_matches_torch(rng):
    t, g = _pair(batch_first=True)
    x = rng.standard_normal((2, 5, 8))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    _compare(t, g, [x, x, x], attn_mask=causal, is_causal=True, need_weights=False)


def test_mha_unbatched_input_matches_torch(rng):
    t, g = _pair()
    arrays = [rng.standard_normal(s) for s in ((4, 8), (6, 8), (6, 8))]
    kpm = np.array([False, False, True, False, False, True])
    _compare(t, g, arrays, key_padding_mask=kpm)


def test_mha_float32_matches_torch(rng):
    t, g = _pair(dtype=torch.float32, batch_first=True)
    _compare(t, g, _inputs(rng, {"batch_first": True}, dtype=np.float32), atol=2e-6, rtol=1e-5)


def test_state_dict_from_a_torch_file_loads_with_the_same_keys(rng):
    torch.manual_seed(1)
    t = torch.nn.MultiheadAttention(8, 4, kdim=5, vdim=3)
    buf = io.BytesIO()
    torch.save(t.state_dict(), buf)
    buf.seek(0)
    g = gw.nn.MultiheadAttention(8, 4, kdim=5, vdim=3)
    assert list(g.state_dict()) == list(t.state_dict())
    assert {k: v.shape for k, v in g.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    g.load_state_dict(gw.load(buf))
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 1, 8), (3, 1, 5), (3, 1, 3)))
    with torch.no_grad():
        want = t(*map(torch.tensor, (q, k, v)))[0].numpy()
    np.testing.assert_allclose(g(*map(gw.tensor, (q, k, v)))[0].array, want, atol=1e-6)


def test_init_follows_torch_xavier_and_zero_biases():
    gw.manual_seed(0)
    g = gw.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform on (3E, E)
    w = g.in_proj_weight.array
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(g.in_proj_bias.array == 0) and np.all(g.out_proj.bias.array == 0)
    assert g.bias_k.shape == (1, 1, 64) and np.any(g.bias_k.array != 0)
    assert g.q_proj_weight is None and g.in_proj_weight.dtype == np.float32


def test_mha_gradcheck_through_inputs_and_parameters(rng):
    gw.manual_seed(0)
    g = gw.nn.MultiheadAttention(4, 2, dtype=np.float64, add_bias_kv=True)
    gw.nn.init.normal_(g.in_proj_bias)
    q = gw.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    kv = gw.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    am = np.array([[False, True], [False, False], [True, False]])
    ps = [q, kv, g.in_proj_weight, g.in_proj_bias, g.out_proj.weight, g.bias_k]
    assert gradcheck(lambda *a: g(q, kv, kv, attn_mask=am), ps)


def test_dropout_acts_in_training_only_and_follows_the_library_seed(rng):
    g = gw.nn.MultiheadAttention(8, 2, dropout=0.5, dtype=np.float64)
    x = gw.tensor(rng.standard_normal((4, 2, 8)))
    gw.manual_seed(5)
    a, wa = g(x, x, x)
    gw.manual_seed(5)
    b, _ = g(x, x, x)
    np.testing.assert_array_equal(a.array, b.array)
    assert np.any(wa.array == 0)  # the returned weights are the dropped-out ones, as in torch
    g.eval()
    c, wc = g(x, x, x)
    np.testing.assert_allclose(wc.array.sum(-1), 1.0)
    assert not np.allclose(a.array, c.array)


def test_mha_errors_name_the_layer():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        gw.nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        gw.nn.MultiheadAttention(8, 0)
    with pytest.raises(ValueError, match="dropout must be in"):
        gw.nn.MultiheadAttention(8, 2, dropout=2.0)
    g = gw.nn.MultiheadAttention(8, 2)
    x = gw.zeros(4, 3, 8)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8.*expected key with "
                                         r"last dim 8"):
        g(x, gw.zeros(4, 3, 5), x)
    with pytest.raises(ValueError, match=r"expected attn_mask \(4, 4\) or \(6, 4, 4\)"):
        g(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match=r"expected key_padding_mask \(3, 4\)"):
        g(x, x, x, key_padding_mask=np.zeros((4, 3), bool))
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        g(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="batch sizes differ"):
        g(x, gw.zeros(4, 2, 8), gw.zeros(4, 2, 8))
    with pytest.raises(ValueError, match=r"expected query \(L, N, E\) or \(L, E\)"):
        g(gw.zeros(8), x, x)


def test_own_generator_makes_dropout_independent_of_the_library_seed(rng):
    x = gw.tensor(rng.standard_normal((4, 2, 8)))
    outs = []
    for library_seed in (1, 2):
        gw.manual_seed(0)
        g = gw.nn.MultiheadAttention(8, 2, dropout=0.5, dtype=np.float64,
                                     generator=np.random.default_rng(7))
        gw.manual_seed(library_seed)
        outs.append(g(x, x, x)[1].array)
    np.testing.assert_array_equal(outs[0], outs[1])
