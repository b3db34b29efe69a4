"""The AlphaGo policy network (Silver et al. 2016), exactly as quoted in seed 000, section 5.1.5.

    "The input to the policy network is a 19 × 19 × 48 image stack consisting of 48 feature
    planes. The first hidden layer zero pads the input into a 23 × 23 image, then convolves k
    filters of kernel size 5 × 5 with stride 1 with the input image and applies a rectifier
    nonlinearity. Each of the subsequent hidden layers 2 to 12 zero pads the respective previous
    hidden layer into a 21 × 21 image, then convolves k filters of kernel size 3 × 3 with stride
    1, again followed by a rectifier nonlinearity. The final layer convolves 1 filter of kernel
    size 1 × 1 with stride 1, with a different bias for each position, and applies a softmax
    function. The match version of AlphaGo used k = 192 filters."

    [19×19×48] -> CONV1 k 5×5 pad 2 -> [19×19×k] -> CONV2..12 k 3×3 pad 1 -> [19×19×k]
               -> CONV 1 1×1 (+ 361 position biases) -> softmax over the 19·19 = 361 moves

13 layers; with k = 192: 230,592 + 11·331,968 + 192 + 361 = 3,882,793 parameters.
``forward`` returns the 361 move logits (train with cross-entropy on the expert move);
``move_probabilities`` applies the softmax.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from .registry import load_weights, register


class PositionBias(nn.Module):
    """A separate learned bias for every board position: y[n, c, i, j] = x[n, c, i, j] + b[i, j].

    Shape: (N, 1, H, W) -> (N, 1, H, W); ``bias`` is (H, W) = (19, 19): 361 parameters.
    """

    def __init__(self, height: int, width: int):
        super().__init__()
        self.height, self.width = height, width
        self.bias = nn.Parameter(np.zeros((height, width), dtype=np.float32))

    def forward(self, x):
        if x.shape[-2:] != (self.height, self.width):
            raise ValueError(f"{self!r}: expected input (..., {self.height}, {self.width}), got "
                             f"{x.shape}")
        return x + self.bias

    def extra_repr(self):
        return f"{self.height}, {self.width}"


@dataclass
class AlphaGoPolicyConfig:
    filters: int = 192  # k
    num_layers: int = 13  # 1 (5×5) + num_layers - 2 (3×3) + 1 (1×1)
    in_planes: int = 48
    board_size: int = 19


class AlphaGoPolicyNet(nn.Module):
    """AlphaGo's SL/RL policy network p(a | s).

    Shape: (N, 48, 19, 19) feature planes -> (N, 361) move logits.
    """

    def __init__(self, config: AlphaGoPolicyConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or AlphaGoPolicyConfig(**kwargs)
        if cfg.num_layers < 2:
            raise ValueError(f"AlphaGoPolicyNet: num_layers must be >= 2, got {cfg.num_layers}")
        self.config = cfg
        k, b = cfg.filters, cfg.board_size
        layers = [nn.Conv2d(cfg.in_planes, k, kernel_size=5, stride=1, padding=2),  # 23×23 pad
                  nn.ReLU()]
        for _ in range(cfg.num_layers - 2):  # hidden layers 2..12: 21×21 pad, 3×3
            layers += [nn.Conv2d(k, k, kernel_size=3, stride=1, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(k, 1, kernel_size=1, stride=1, bias=False)
        self.position_bias = PositionBias(b, b)

    def forward(self, x):
        cfg = self.config
        if x.ndim != 4 or x.shape[1:] != (cfg.in_planes, cfg.board_size, cfg.board_size):
            raise ValueError(f"AlphaGoPolicyNet: expected input (N, {cfg.in_planes}, "
                             f"{cfg.board_size}, {cfg.board_size}), got {x.shape}")
        x = self.position_bias(self.head(self.body(x)))  # (N, 1, 19, 19)
        return F.flatten(x, 1)  # (N, 361)

    def move_probabilities(self, x):
        """softmax over the 361 moves.  Shape: (N, 48, 19, 19) -> (N, 361), rows sum to 1."""
        return F.softmax(self(x), dim=-1)


@register
def alphago_policy(*, weights=None, **kwargs):
    """AlphaGo policy network (k = 192 filters, 13 layers: 3,882,793 parameters)."""
    return load_weights(AlphaGoPolicyNet(AlphaGoPolicyConfig(**kwargs)), weights)
