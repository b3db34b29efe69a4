"""GoogLeNet / Inception v1 (Szegedy et al. 2015, "Going Deeper with Convolutions").

Seed 000: an Inception module runs 1×1, 3×3 and 5×5 convolutions (and a pooling branch) side by
side and stacks their maps in depth; 1×1 "reduce" convs before the 3×3/5×5 keep it cheap
(GoogLeNet: 4M parameters vs AlexNet's 60M; 6.7% top-5 error, ILSVRC 2014).

torchvision's model: conv layers with BatchNorm (``BasicConv2d``), module names, two auxiliary
classifiers (``aux1`` after 4a, ``aux2`` after 4d, used in training mode only) and parameter
counts: 6,624,904 without the auxiliary heads, 13,004,888 with them (the default). As in
torchvision, the "5×5" branch uses a 3×3 kernel (torchvision issue #906, kept so its
checkpoints load); pass ``branch3_kernel=5`` for the paper's 5×5.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from .registry import load_weights, register

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """Conv (no bias) -> BatchNorm (eps 1e-3) -> ReLU.  Shape: (N, C_in, H, W) -> (N, C_out, H', W')."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four parallel branches concatenated on channels: 1×1 | 1×1→3×3 | 1×1→"5×5" | pool→1×1.

    Shape: (N, in_channels, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 branch3_kernel=3):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=branch3_kernel,
                                                 padding=branch3_kernel // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1,
                                                  ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return F.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: adaptive avg-pool 4×4, 1×1 conv (128), fc 1024, dropout 0.7, fc.

    Shape: (N, in_channels, H, W) -> (N, num_classes)
    """

    def __init__(self, in_channels, num_classes, dropout=0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))  # (N, 128, 4, 4)
        x = F.relu(self.fc1(F.flatten(x, 1)))  # (N, 1024)
        return self.fc2(self.dropout(x))


@dataclass
class GoogLeNetConfig:
    num_classes: int = 1000
    aux_logits: bool = True
    transform_input: bool = False
    init_weights: bool = True
    dropout: float = 0.2
    dropout_aux: float = 0.7
    branch3_kernel: int = 3  # torchvision's 3×3; the paper's 5×5 with 5


def _transform_input(x):
    """ImageNet-normalised input -> the [-1, 1] scaling the ported weights expect."""
    scale = np.array([0.229, 0.224, 0.225]) / 0.5
    shift = (np.array([0.485, 0.456, 0.406]) - 0.5) / 0.5
    return x * scale.reshape(1, 3, 1, 1).astype(x.dtype) + shift.reshape(1, 3, 1, 1).astype(x.dtype)


class GoogLeNet(nn.Module):
    """Stem (7×7/2 conv, pool, 1×1, 3×3, pool), Inception 3a-3b, pool, 4a-4e, pool, 5a-5b,
    global average pool, dropout, fc. Training mode with ``aux_logits`` returns
    ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``; otherwise the logits.

    Shape: (N, 3, H, W) -> (N, num_classes); H, W >= 15 (224 in the paper).
    """

    def __init__(self, config: GoogLeNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or GoogLeNetConfig(**kwargs)
        self.config = cfg
        self.aux_logits = cfg.aux_logits
        self.transform_input = cfg.transform_input
        k = cfg.branch3_kernel
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32, k)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64, k)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64, k)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64, k)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64, k)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64, k)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128, k)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128, k)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128, k)
        if cfg.aux_logits:
            self.aux1 = InceptionAux(512, cfg.num_classes, cfg.dropout_aux)
            self.aux2 = InceptionAux(528, cfg.num_classes, cfg.dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=cfg.dropout)
        self.fc = nn.Linear(1024, cfg.num_classes)
        if cfg.init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        if self.transform_input:
            x = _transform_input(x)
        x = self.maxpool1(self.conv1(x))  # (N, 64, 56, 56) at 224
        x = self.maxpool2(self.conv3(self.conv2(x)))  # (N, 192, 28, 28)
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # (N, 480, 14, 14)
        x = self.inception4a(x)  # (N, 512, 14, 14)
        use_aux = self.training and self.aux1 is not None
        aux1 = self.aux1(x) if use_aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (N, 528, 14, 14)
        aux2 = self.aux2(x) if use_aux else None
        x = self.maxpool4(self.inception4e(x))  # (N, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))  # (N, 1024, 7, 7)
        x = self.fc(self.dropout(F.flatten(self.avgpool(x), 1)))  # (N, num_classes)
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register
def googlenet(*, weights=None, progress=True, **kwargs):
    """GoogLeNet (Inception v1); 13,004,888 parameters with aux heads, 6,624,904 without."""
    return load_weights(GoogLeNet(GoogLeNetConfig(**kwargs)), weights)
