"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998), seed 000 section 5.1.4: seven layers,
C1-S2-C3-S4-C5-F6-output, on 32×32 input.

    C1: 6 maps 5×5 conv           32×32 -> 28×28     156 params
    S2: 2×2 subsampling           28×28 -> 14×14
    C3: 16 maps 5×5 conv          14×14 -> 10×10   2,416 params (full connection)
    S4: 2×2 subsampling           10×10 -> 5×5
    C5: 120 maps 5×5 conv          5×5  -> 1×1    48,120 params
    F6: 84 units                                  10,164 params
    output: num_classes units                        850 params (10 classes)
                                                  ------
                                                  61,706

The default is this common form (tanh, average subsampling, every C3 map connected to all S2
maps, a linear output layer). The paper's specifics are options: ``connection_table=True``
gives C3 the sparse table of the paper's Table I (1,516 params), ``subsampling="trainable"``
gives S2/S4 a trainable coefficient and bias per map (12 and 32 params; sum of the 2×2 window
times the coefficient plus the bias, then the squashing function), ``activation="scaled_tanh"``
uses f(a) = 1.7159·tanh(2a/3). With all three the count is 60,850; the paper's Euclidean RBF
output units with hand-set codes are replaced by the linear output layer. ``input_size=28``
pads MNIST's 28×28 digits by 2 in C1 (the 28×28 -> 32×32 step the paper did by placing the
digits in a 32×32 field).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from .registry import load_weights, register

# LeCun et al. 1998, Table I: which S2 maps (rows 0-5) feed each C3 map (columns 0-15).
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class ScaledTanh(nn.Module):
    """LeCun's squashing function f(a) = A·tanh(S·a), A = 1.7159, S = 2/3.  Shape: (*) -> (*)."""

    def forward(self, x):
        return F.tanh(x * (2.0 / 3.0)) * 1.7159


class Subsampling(nn.Module):
    """LeNet's trainable subsampling: y = coef · Σ_{2×2} x + bias, per map (2 params per map).

    Shape: (N, C, H, W) -> (N, C, H/2, W/2)
    """

    def __init__(self, channels):
        super().__init__()
        self.channels = channels
        self.weight = nn.Parameter(np.empty(channels, dtype=np.float32))
        self.bias = nn.Parameter(np.empty(channels, dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / 2.0  # fan-in 4: U(-1/√4, 1/√4) as PyTorch's default for a 4-input unit
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"{self!r}: expected input (N, {self.channels}, H, W), got {x.shape}")
        s = F.avg_pool2d(x, 2) * 4.0  # Σ over each 2×2 window
        return s * self.weight.reshape(1, -1, 1, 1) + self.bias.reshape(1, -1, 1, 1)

    def extra_repr(self):
        return str(self.channels)


class SparseC3(nn.Module):
    """C3 with the paper's connection table: one 5×5 conv per output map over its input maps.

    Shape: (N, 6, 14, 14) -> (N, 16, 10, 10)
    """

    def __init__(self, table=C3_TABLE, kernel_size=5):
        super().__init__()
        self.table = tuple(tuple(t) for t in table)
        self.convs = nn.ModuleList([nn.Conv2d(len(t), 1, kernel_size) for t in self.table])

    def forward(self, x):
        outs = [conv(x[:, list(t)]) for conv, t in zip(self.convs, self.table)]
        return F.cat(outs, 1)


@dataclass
class LeNetConfig:
    num_classes: int = 10
    input_size: int = 32  # 32 (paper) or 28 (MNIST as stored: C1 pads by 2)
    in_channels: int = 1
    activation: str = "tanh"  # "tanh", "scaled_tanh", "relu"
    subsampling: str = "avg"  # "avg", "max", "trainable"
    connection_table: bool = False


class LeNet5(nn.Module):
    """C1-S2-C3-S4-C5-F6-output.  Shape: (N, in_channels, 32, 32) or (N, 1, 28, 28) -> (N, classes)."""

    def __init__(self, config: LeNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or LeNetConfig(**kwargs)
        if cfg.input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 32 or 28, got {cfg.input_size}")
        acts = {"tanh": nn.Tanh, "scaled_tanh": ScaledTanh, "relu": nn.ReLU}
        if cfg.activation not in acts:
            raise ValueError(f"LeNet5: activation must be one of {sorted(acts)}, got "
                             f"{cfg.activation!r}")
        if cfg.subsampling not in ("avg", "max", "trainable"):
            raise ValueError(f"LeNet5: subsampling must be 'avg', 'max' or 'trainable', got "
                             f"{cfg.subsampling!r}")
        self.config = cfg
        act = acts[cfg.activation]

        def pool(c):
            if cfg.subsampling == "trainable":
                return Subsampling(c)
            return nn.AvgPool2d(2) if cfg.subsampling == "avg" else nn.MaxPool2d(2)

        pad = 2 if cfg.input_size == 28 else 0
        self.c1 = nn.Conv2d(cfg.in_channels, 6, kernel_size=5, padding=pad)  # -> 28×28
        self.act1 = act()
        self.s2 = pool(6)  # -> 14×14
        self.act2 = act() if cfg.subsampling == "trainable" else nn.Identity()
        if cfg.connection_table:
            self.c3 = SparseC3()
        else:
            self.c3 = nn.Conv2d(6, 16, kernel_size=5)  # -> 10×10
        self.act3 = act()
        self.s4 = pool(16)  # -> 5×5
        self.act4 = act() if cfg.subsampling == "trainable" else nn.Identity()
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # -> 1×1
        self.act5 = act()
        self.f6 = nn.Linear(120, 84)
        self.act6 = act()
        self.output = nn.Linear(84, cfg.num_classes)

    def forward(self, x):
        size = self.config.input_size
        if x.ndim != 4 or x.shape[1:] != (self.config.in_channels, size, size):
            raise ValueError(f"LeNet5: expected input (N, {self.config.in_channels}, {size}, "
                             f"{size}), got {x.shape}")
        x = self.act2(self.s2(self.act1(self.c1(x))))  # (N, 6, 14, 14)
        x = self.act4(self.s4(self.act3(self.c3(x))))  # (N, 16, 5, 5)
        x = F.flatten(self.act5(self.c5(x)), 1)  # (N, 120)
        return self.output(self.act6(self.f6(x)))  # (N, num_classes)


@register
def lenet5(*, weights=None, **kwargs):
    """LeNet-5 (61,706 parameters at 10 classes); see ``LeNetConfig`` for the 1998 options."""
    return load_weights(LeNet5(LeNetConfig(**kwargs)), weights)
