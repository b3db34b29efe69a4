"""ViT (models/vit.py) against a PyTorch twin built here: forward, input and parameter gradients."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.models import DEIT_TINY, ViTConfig, VisionTransformer
from helpers import assert_grads_like_torch, assert_output_like_torch, to_gw, to_torch

TINY = dict(image_size=8, patch_size=4, in_channels=2, num_classes=3, dim=8, depth=2, heads=2,
            mlp_dim=12, dropout=0.0)


class TorchViT(torch.nn.Module):
    """The same network from torch.nn pieces, with gradwise's parameter names."""

    def __init__(self, image_size, patch_size, in_channels, num_classes, dim, depth, heads,
                 mlp_dim, dropout):
        super().__init__()
        n = (image_size // patch_size) ** 2
        self.conv_proj = torch.nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.class_token = torch.nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = torch.nn.Parameter(torch.zeros(1, n + 1, dim))
        self.dropout = torch.nn.Dropout(dropout)
        layer = torch.nn.TransformerEncoderLayer(dim, heads, mlp_dim, dropout, activation="gelu",
                                                 layer_norm_eps=1e-6, batch_first=True,
                                                 norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(dim, eps=1e-6)
        self.head = torch.nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.encoder(self.dropout(x + self.pos_embedding))
        return self.head(self.norm(x[:, 0]))


def _twins(cfg, seed=0):
    """A float64 torch twin with every parameter random (no zero head or class token), and the
    gradwise model loaded from its state_dict."""
    torch.manual_seed(seed)
    t = TorchViT(**cfg).double().eval()
    with torch.no_grad():
        for name, p in t.named_parameters():   # LayerNorm weights near 1, the rest near 0
            p.copy_(0.3 * torch.randn_like(p) + float("norm" in name and "weight" in name))
    g = VisionTransformer(ViTConfig(**cfg)).double()
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()}, strict=True)
    g.eval()
    return g, t


@pytest.mark.parametrize("cfg", [TINY, dict(TINY, depth=1, patch_size=2, heads=4, dim=12),
                                 dict(TINY, image_size=12, patch_size=3, num_classes=5)])
def test_vit_forward_and_backward_match_torch(cfg):
    g, t = _twins(cfg)
    x = np.random.default_rng(1).standard_normal(
        (3, cfg["in_channels"], cfg["image_size"], cfg["image_size"]))
    gx, tx = to_gw(x), to_torch(x)
    go, to = g(gx), t(tx)
    assert go.shape == (3, cfg["num_classes"])
    assert_output_like_torch(go, to, atol=1e-12, rtol=1e-10)
    r = np.random.default_rng(2).standard_normal(go.shape)
    (to * torch.tensor(r)).sum().backward()
    (go * gw.tensor(r)).sum().backward()
    assert_grads_like_torch([gx], [tx], g, t, atol=1e-12, rtol=1e-9, same_names=True)


def test_vit_state_dict_keys_match_the_torch_twin():
    g, t = _twins(TINY)
    assert sorted(g.state_dict()) == sorted(t.state_dict())


def test_vit_gradcheck_float64_tiny():
    gw.manual_seed(0)
    cfg = dict(TINY, depth=1, dim=4, mlp_dim=6, image_size=4, patch_size=2, in_channels=1)
    g, _ = _twins(cfg, seed=4)
    x = gw.tensor(np.random.default_rng(5).standard_normal((2, 1, 4, 4)), requires_grad=True)
    ps = [x, g.conv_proj.weight, g.class_token, g.pos_embedding,
          g.encoder.layers[0].self_attn.in_proj_weight, g.encoder.layers[0].linear1.weight,
          g.norm.weight, g.head.weight]
    assert gradcheck(lambda *a: g(x), ps)


def test_vit_tiny_defaults_fit_mnist():
    gw.manual_seed(0)
    m = gw.models.create("vit_tiny")
    assert (m.config.image_size, m.config.patch_size, m.config.in_channels) == (28, 7, 1)
    assert sum(p.numel() for p in m.parameters()) == 205_962
    m.eval()
    out = m(gw.tensor(np.zeros((2, 1, 28, 28), np.float32)))
    assert out.shape == (2, 10) and out.dtype == np.float32


def test_vit_tiny_deit_tiny_sizes_have_timm_parameter_count():
    m = gw.models.vit_tiny(**DEIT_TINY)
    assert m.config.num_patches == 196
    assert sum(p.numel() for p in m.parameters()) == 5_717_416  # timm deit_tiny_patch16_224


def test_vit_dropout_is_random_in_train_and_off_in_eval():
    gw.manual_seed(0)
    m = gw.models.vit_tiny(**dict(TINY, dropout=0.5))
    # the head starts at zero (and a constant head sums a zero-mean LayerNorm output): randomise
    m.head.weight.array[...] = np.random.default_rng(1).standard_normal(m.head.weight.shape)
    x = gw.tensor(np.random.default_rng(0).standard_normal((2, 2, 8, 8)).astype(np.float32))
    m.train()
    assert not np.allclose(m(x).array, m(x).array)
    m.eval()
    np.testing.assert_array_equal(m(x).array, m(x).array)


def test_vit_overfits_one_batch():
    gw.manual_seed(0)
    m = gw.models.vit_tiny(**TINY)
    rng = np.random.default_rng(0)
    x = gw.tensor(rng.standard_normal((6, 2, 8, 8)).astype(np.float32))
    y = gw.tensor(np.arange(6) % 3)
    opt = gw.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(60):
        loss = gw.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05


@pytest.mark.parametrize("kwargs, match", [
    (dict(image_size=28, patch_size=5), "image_size must be divisible by patch_size, got "
                                        "image_size=28, patch_size=5"),
    (dict(dim=64, heads=5), "dim must be divisible by heads, got dim=64, heads=5"),
    (dict(dropout=1.5), r"dropout must be in \[0, 1\], got 1.5"),
    (dict(patch_size=0), "patch_size must be a positive int, got 0"),
    (dict(dim=2.5), "dim must be a positive int, got 2.5"),
    (dict(depth=-1), "depth must be a non-negative int, got -1"),
])
def test_vit_config_errors_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match="ViTConfig: " + match):
        gw.models.vit_tiny(**kwargs)


@pytest.mark.parametrize("shape", [(2, 3, 28, 28), (2, 1, 32, 32), (1, 28, 28), (2, 1, 28, 27)])
def test_vit_input_shape_error_gives_expected_and_actual(shape):
    m = gw.models.vit_tiny()
    want = (r"VisionTransformer: expected input \(N, 1, 28, 28\), got "
            + str(shape).replace("(", r"\(").replace(")", r"\)"))
    with pytest.raises(ValueError, match=want):
        m(gw.tensor(np.zeros(shape, np.float32)))
