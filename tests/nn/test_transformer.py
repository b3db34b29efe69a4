"""Transformer layers against torch.nn: forward and the gradients of inputs and every parameter."""
import io

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from helpers import assert_grads_like_torch, assert_output_like_torch, to_gw, to_torch


def _load(g, t):
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g


def _compare(g, t, arrays, g_kw=None, t_kw=None, atol=1e-10, rtol=1e-8):
    g_kw, t_kw = g_kw or {}, t_kw or {}
    tin, gin = [to_torch(a) for a in arrays], [to_gw(a) for a in arrays]
    to, go = t(*tin, **t_kw), g(*gin, **g_kw)
    assert_output_like_torch(go, to, atol, rtol)
    r = np.random.default_rng(1).standard_normal(go.shape).astype(go.dtype)
    (to * torch.tensor(r)).sum().backward()
    (go * gw.tensor(r)).sum().backward()
    assert_grads_like_torch(gin, tin, g, t, atol, rtol, same_names=True)


def _noisy_biases(t):
    """PyTorch starts attention biases at 0 and LayerNorm at (1, 0); make them all matter."""
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in t.named_parameters():
            if p.ndim == 1:
                p.add_(0.1 * torch.randn_like(p))
    return t


LAYER_CONFIGS = [{}, {"norm_first": True}, {"activation": "gelu", "batch_first": True},
                 {"norm_first": True, "bias": False}]


@pytest.mark.parametrize("kw", LAYER_CONFIGS, ids=lambda kw: ",".join(kw) or "default")
def test_encoder_layer_matches_torch_with_masks(rng, kw):
    torch.manual_seed(0)
    t = _noisy_biases(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                       dtype=torch.float64, **kw))
    g = _load(gw.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64, **kw), t)
    x = rng.standard_normal((5, 5, 8))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    kpm = np.zeros((5, 5), bool)
    kpm[2, 3:] = True
    _compare(g, t, [x], {"src_mask": mask.numpy(), "src_key_padding_mask": kpm},
             {"src_mask": mask, "src_key_padding_mask": torch.tensor(kpm)})


def test_encoder_stack_with_final_norm_and_causal_hint_matches_torch(rng):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64,
                                             batch_first=True)
    t = _noisy_biases(torch.nn.TransformerEncoder(layer, 2, torch.nn.LayerNorm(
        8, dtype=torch.float64), enable_nested_tensor=False))
    g_layer = gw.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64,
                                            batch_first=True)
    g = _load(gw.nn.TransformerEncoder(g_layer, 2, gw.nn.LayerNorm(8, dtype=np.float64)), t)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    _compare(g, t, [rng.standard_normal((3, 4, 8))], {"mask": mask.numpy(), "is_causal": True},
             {"mask": mask, "is_causal": True})


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(rng, norm_first):
    torch.manual_seed(0)
    t = _noisy_biases(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0,
                                                       dtype=torch.float64,
                                                       norm_first=norm_first))
    g = _load(gw.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64,
                                            norm_first=norm_first), t)
    tgt, mem = rng.standard_normal((4, 2, 8)), rng.standard_normal((6, 2, 8))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mkpm = np.zeros((2, 6), bool)
    mkpm[1, 4:] = True
    _compare(g, t, [tgt, mem], {"tgt_mask": mask.numpy(), "memory_key_padding_mask": mkpm},
             {"tgt_mask": mask, "memory_key_padding_mask": torch.tensor(mkpm)})


def test_full_transformer_matches_torch_and_has_its_state_dict(rng):
    torch.manual_seed(0)
    t = _noisy_biases(torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, dtype=torch.float64))
    g = gw.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, dtype=np.float64)
    assert list(g.state_dict()) == list(t.state_dict())
    _load(g, t)
    mask = t.generate_square_subsequent_mask(4, dtype=torch.float64)
    _compare(g, t, [rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))],
             {"tgt_mask": mask.numpy()}, {"tgt_mask": mask})


def test_float32_encoder_from_a_torch_file_matches(rng):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    t = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()
    buf = io.BytesIO()
    torch.save(t.state_dict(), buf)
    buf.seek(0)
    g = gw.nn.TransformerEncoder(gw.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 2)
    g.load_state_dict(gw.load(buf))
    g.eval()
    x = rng.standard_normal((2, 7, 16)).astype(np.float32)
    with torch.no_grad():
        want = t(torch.tensor(x)).numpy()
    got = g(gw.tensor(x)).array
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)  # float32 round-off


def test_encoder_layer_gradcheck(rng):
    gw.manual_seed(0)
    g = gw.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=np.float64, norm_first=True,
                                      activation="gelu")
    x = gw.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    ps = [x, g.self_attn.in_proj_weight, g.linear1.weight, g.norm2.weight]
    assert gradcheck(lambda *a: g(x), ps)


def test_stacked_layers_start_as_copies_and_dropout_is_off_in_eval(rng):
    layer = gw.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    enc = gw.nn.TransformerEncoder(layer, 2)
    w0, w1 = (enc.layers[i].linear1.weight for i in range(2))
    assert w0 is not w1 and np.array_equal(w0.array, w1.array)
    x = gw.tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    enc.eval()
    np.testing.assert_array_equal(enc(x).array, enc(x).array)
    enc.train()
    assert not np.allclose(enc(x).array, enc.eval()(x).array)


def test_generate_square_subsequent_mask_matches_torch():
    ours = gw.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(ours.array,
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert ours.dtype == np.float32


def test_transformer_errors_are_clear():
    with pytest.raises(ValueError, match="TransformerEncoderLayer: activation should be relu/gelu"):
        gw.nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match="TransformerDecoderLayer: dim_feedforward must be"):
        gw.nn.TransformerDecoderLayer(8, 2, 0)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        gw.nn.TransformerEncoderLayer(8, 3)
    with pytest.raises(ValueError, match="num_layers must be a non-negative int"):
        gw.nn.TransformerEncoder(gw.nn.TransformerEncoderLayer(8, 2, 16), -1)
    model = gw.nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match="batch number of src and tgt must be equal"):
        model(gw.zeros(3, 2, 8), gw.zeros(3, 4, 8))
    with pytest.raises(ValueError, match="must be equal to d_model=8"):
        model(gw.zeros(3, 2, 8), gw.zeros(3, 2, 6))


def test_torch_module_paths_name_the_same_classes():
    import gradwise.nn.modules.transformer

    assert gw.nn.modules.transformer.TransformerEncoderLayer is gw.nn.TransformerEncoderLayer
    assert gw.nn.modules.transformer.Transformer is gw.nn.Transformer
    assert gw.nn.modules.activation.MultiheadAttention is gw.nn.MultiheadAttention
    assert torch.nn.modules.activation.MultiheadAttention is torch.nn.MultiheadAttention


def test_tiny_causal_transformer_lm_overfits_one_batch():
    gw.manual_seed(0)
    V, E, T = 7, 16, 8
    emb, head = gw.nn.Embedding(V, E), gw.nn.Linear(E, V)
    enc = gw.nn.TransformerEncoder(
        gw.nn.TransformerEncoderLayer(E, 2, 32, dropout=0.0, batch_first=True), 1)
    params = [*emb.parameters(), *enc.parameters(), *head.parameters()]
    opt = gw.optim.Adam(params, lr=1e-2)
    seq = np.random.default_rng(0).integers(0, V, (4, T + 1))
    x, y = gw.tensor(seq[:, :-1]), gw.tensor(seq[:, 1:])
    pos = gw.tensor(np.random.default_rng(1).standard_normal((T, E)).astype(np.float32))
    mask = gw.nn.Transformer.generate_square_subsequent_mask(T)
    first = None
    for _ in range(60):
        logits = head(enc(emb(x) + pos, mask=mask, is_causal=True))  # (4, T, V)
        loss = gw.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(loss.array) if first is None else first
    assert first > 1.5 and float(loss.array) < 0.1
