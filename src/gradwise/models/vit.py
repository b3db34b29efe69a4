"""Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words").

The image is cut into P×P patches, each linearly embedded; a learned class token is prepended,
learned position embeddings are added, and a stack of pre-norm Transformer encoder layers
(x = x + MSA(LN(x)); x = x + MLP(LN(x)), GELU in the MLP) mixes the tokens. A final LayerNorm
and a linear head read the class token:

    z_0 = [x_class; x_p^1 E; …; x_p^L E] + E_pos         # (N, L + 1, D), L = (H/P)·(W/P)
    z_l = z_l' + MLP(LN(z_l')),  z_l' = z_{l-1} + MSA(LN(z_{l-1}))
    y   = head(LN(z_depth^0))                            # (N, num_classes)

The patch embedding E is a Conv2d with kernel = stride = P (one GEMM over all patches). The
encoder is ``nn.TransformerEncoder`` of ``nn.TransformerEncoderLayer(norm_first=True,
batch_first=True, activation="gelu")``, so a PyTorch module built the same way loads with
strict=True under the same names.

Sizes: DeiT-Tiny (Touvron et al. 2021) is dim 192, depth 12, heads 3, mlp_dim 768 at 224×224
with 16×16 patches (5.7M parameters at 1000 classes): ``vit_tiny(**DEIT_TINY)``. The defaults of
``ViTConfig``/``vit_tiny`` are scaled down for 28×28 MNIST on a CPU: 7×7 patches (16 tokens
plus the class token), dim 64, depth 6, heads 4, mlp_dim 128, one grey channel, 10 classes
(205,962 parameters).

Differences from the paper: the head is a single linear layer (the paper's fine-tuning head,
no pre-training MLP head); LayerNorm eps is 1e-6 as in torchvision and timm.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from ..core.checks import check_shape
from .registry import load_weights, register

DEIT_TINY = dict(image_size=224, patch_size=16, in_channels=3, num_classes=1000, dim=192,
                 depth=12, heads=3, mlp_dim=768, dropout=0.0)


@dataclass
class ViTConfig:
    """ViT sizes; the defaults suit 28×28 MNIST (see the module docstring for DeiT-Tiny)."""

    image_size: int = 28
    patch_size: int = 7
    in_channels: int = 1
    num_classes: int = 10
    dim: int = 64
    depth: int = 6
    heads: int = 4
    mlp_dim: int = 128
    dropout: float = 0.1

    def validate(self):
        for name in ("image_size", "patch_size", "in_channels", "num_classes", "dim", "heads",
                     "mlp_dim"):
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"ViTConfig: {name} must be a positive int, got {val!r}")
        if isinstance(self.depth, bool) or not isinstance(self.depth, (int, np.integer)) \
                or self.depth < 0:
            raise ValueError(f"ViTConfig: depth must be a non-negative int, got {self.depth!r}")
        if self.image_size % self.patch_size:
            raise ValueError(f"ViTConfig: image_size must be divisible by patch_size, got "
                             f"image_size={self.image_size}, patch_size={self.patch_size}")
        if self.dim % self.heads:
            raise ValueError(f"ViTConfig: dim must be divisible by heads, got dim={self.dim}, "
                             f"heads={self.heads}")
        if not 0.0 <= self.dropout <= 1.0:
            raise ValueError(f"ViTConfig: dropout must be in [0, 1], got {self.dropout}")

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


class VisionTransformer(nn.Module):
    """ViT classifier: patch embedding, class token, position embeddings, pre-norm encoder.

    Args:
        config: a ``ViTConfig`` (or its fields as keyword arguments).

    Shape: (N, in_channels, image_size, image_size) -> (N, num_classes). Unlike torchvision's
    ``VisionTransformer`` the submodules are PyTorch's ``nn.TransformerEncoder`` layers, so
    state_dict keys are ``encoder.layers.0.self_attn.in_proj_weight`` …, not torchvision's.
    """

    def __init__(self, config: ViTConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or ViTConfig(**kwargs)
        cfg.validate()
        self.config = cfg
        self.conv_proj = nn.Conv2d(cfg.in_channels, cfg.dim, kernel_size=cfg.patch_size,
                                   stride=cfg.patch_size)
        self.class_token = nn.Parameter(np.zeros((1, 1, cfg.dim), dtype=np.float32))
        self.pos_embedding = nn.Parameter(np.empty((1, cfg.num_patches + 1, cfg.dim),
                                                   dtype=np.float32))
        self.dropout = nn.Dropout(cfg.dropout)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, cfg.mlp_dim, dropout=cfg.dropout,
                                           activation="gelu", layer_norm_eps=1e-6,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.head = nn.Linear(cfg.dim, cfg.num_classes)
        self.reset_parameters()

    def reset_parameters(self):
        """torchvision's ViT init: LeCun-normal patch embedding, pos ~ N(0, 0.02²), zero head.

        The encoder layers keep PyTorch's defaults (Xavier-uniform attention projections); as
        in PyTorch, every layer starts as a deep copy of the first.
        """
        fan_in = self.config.in_channels * self.config.patch_size ** 2
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1.0 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        nn.init.zeros_(self.class_token)
        nn.init.normal_(self.pos_embedding, std=0.02)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x):
        cfg = self.config
        check_shape("VisionTransformer", "input", x,
                    ("N", cfg.in_channels, cfg.image_size, cfg.image_size))
        n = x.shape[0]
        x = self.conv_proj(x)                                  # (N, D, H/P, W/P)
        x = x.flatten(2).transpose(1, 2)                       # (N, L, D)
        cls = F.expand(self.class_token, n, -1, -1)            # (N, 1, D)
        x = F.cat([cls, x], dim=1) + self.pos_embedding        # (N, L + 1, D)
        x = self.encoder(self.dropout(x))                      # (N, L + 1, D)
        return self.head(self.norm(x[:, 0]))                   # (N, num_classes)

    def extra_repr(self):
        c = self.config
        return (f"image_size={c.image_size}, patch_size={c.patch_size}, dim={c.dim}, "
                f"depth={c.depth}, heads={c.heads}, mlp_dim={c.mlp_dim}")


@register
def vit_tiny(*, weights=None, progress=True, **kwargs):
    """ViT for 28×28 MNIST by default (dim 64, depth 6, heads 4, 7×7 patches; 205,962
    parameters at 10 classes); ``vit_tiny(**DEIT_TINY)`` is DeiT-Tiny (5,717,416 parameters)."""
    return load_weights(VisionTransformer(ViTConfig(**kwargs)), weights)
