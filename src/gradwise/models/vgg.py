"""VGG (Simonyan, Zisserman 2015): stacks of 3×3 convs (seed 004: "smaller filters, deeper").

Two stacked 3×3 convs see 5×5 and three see 7×7 (receptive field 1 + L·(K - 1)) with fewer
parameters and more non-linearities. Configurations A (VGG-11), B (13), D (16), E (19), with or
without BatchNorm; torchvision's module layout, init, parameter counts (vgg16: 138,357,544)
and state_dict keys.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn
from .registry import load_weights, register

CFGS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"),
}


@dataclass
class VGGConfig:
    cfg: str = "D"
    batch_norm: bool = False
    num_classes: int = 1000
    init_weights: bool = True
    dropout: float = 0.5


def make_layers(cfg, batch_norm=False):
    """Conv3×3(pad 1) [+ BN] + ReLU per number, 2×2/2 max-pool per "M"."""
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features -> adaptive avg-pool 7×7 -> 3 FC layers with dropout.

    Shape: (N, 3, H, W) -> (N, num_classes); H, W >= 32 (five 2×2 pools).
    """

    def __init__(self, config: VGGConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or VGGConfig(**kwargs)
        if cfg.cfg not in CFGS:
            raise ValueError(f"VGG: cfg must be one of {sorted(CFGS)}, got {cfg.cfg!r}")
        self.config = cfg
        self.features = make_layers(CFGS[cfg.cfg], cfg.batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=cfg.dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=cfg.dropout),
            nn.Linear(4096, cfg.num_classes))
        if cfg.init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(F.flatten(x, 1))


def _vgg(cfg, batch_norm, weights, kwargs):
    return load_weights(VGG(VGGConfig(cfg=cfg, batch_norm=batch_norm, **kwargs)), weights)


@register
def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (configuration A; 132,863,336 parameters)."""
    return _vgg("A", False, weights, kwargs)


@register
def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with BatchNorm (132,868,840 parameters)."""
    return _vgg("A", True, weights, kwargs)


@register
def vgg13(*, weights=None, progress=True, **kwargs):
    """VGG-13 (configuration B; 133,047,848 parameters)."""
    return _vgg("B", False, weights, kwargs)


@register
def vgg13_bn(*, weights=None, progress=True, **kwargs):
    """VGG-13 with BatchNorm (133,053,736 parameters)."""
    return _vgg("B", True, weights, kwargs)


@register
def vgg16(*, weights=None, progress=True, **kwargs):
    """VGG-16 (configuration D; 138,357,544 parameters)."""
    return _vgg("D", False, weights, kwargs)


@register
def vgg16_bn(*, weights=None, progress=True, **kwargs):
    """VGG-16 with BatchNorm (138,365,992 parameters)."""
    return _vgg("D", True, weights, kwargs)


@register
def vgg19(*, weights=None, progress=True, **kwargs):
    """VGG-19 (configuration E; 143,667,240 parameters)."""
    return _vgg("E", False, weights, kwargs)


@register
def vgg19_bn(*, weights=None, progress=True, **kwargs):
    """VGG-19 with BatchNorm (143,678,248 parameters)."""
    return _vgg("E", True, weights, kwargs)
