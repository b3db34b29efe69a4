"""AlexNet (Krizhevsky, Sutskever, Hinton 2012), torchvision's single-GPU variant.

Seed 000: 5 conv layers, 3 pooling layers and 3 fully connected layers; ReLU, dropout. Seed
004: most parameters sit in the FC layers (FC6 256·6·6 -> 4096: 38M, FC7: 17M, FC8: 4M).

``alexnet()`` is torchvision's model (the "one weird trick" widths 64/192/384/256/256, no LRN,
61,100,840 parameters, identical state_dict keys). ``alexnet(original=True)`` builds the 2012
paper's widths 96/256/384/384/256 with local response normalisation (size 5, α=1e-4, β=0.75,
k=2) after the first two ReLUs and overlapping 3×3/2 max-pooling (on 227×227 input; one tower
instead of the paper's two GPU halves, so conv2/4/5 are not grouped).
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn
from .registry import load_weights, register


@dataclass
class AlexNetConfig:
    num_classes: int = 1000
    dropout: float = 0.5
    original: bool = False  # 2012 paper widths + LRN (not torchvision-compatible)


class AlexNet(nn.Module):
    """features (5 conv, 3 max-pool) -> adaptive avg-pool 6×6 -> classifier (3 FC, dropout).

    Shape: (N, 3, H, W) -> (N, num_classes); H, W >= 63 (224 or 227 as in the papers).
    """

    def __init__(self, config: AlexNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or AlexNetConfig(**kwargs)
        self.config = cfg
        if cfg.original:
            c = (96, 256, 384, 384, 256)
            self.features = nn.Sequential(
                nn.Conv2d(3, c[0], kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
                nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[0], c[1], kernel_size=5, padding=2), nn.ReLU(inplace=True),
                nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[1], c[2], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[2], c[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[3], c[4], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2))
        else:
            c = (64, 192, 384, 256, 256)
            self.features = nn.Sequential(
                nn.Conv2d(3, c[0], kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[0], c[1], kernel_size=5, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(c[1], c[2], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[2], c[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[3], c[4], kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=cfg.dropout), nn.Linear(c[4] * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=cfg.dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, cfg.num_classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))  # (N, 256, 6, 6)
        return self.classifier(F.flatten(x, 1))  # (N, num_classes)


@register
def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet (torchvision: 61,100,840 parameters at 1000 classes)."""
    return load_weights(AlexNet(AlexNetConfig(**kwargs)), weights)
