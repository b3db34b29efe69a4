"""Highway networks (Srivastava, Greff, Schmidhuber 2015, "Training Very Deep Networks").

A highway layer carries its input through a gate instead of always transforming it:

    H = relu(W_H x + b_H)          (transform)
    T = σ(W_T x + b_T)             (transform gate; carry gate C = 1 - T)
    y = T ⊙ H + (1 - T) ⊙ x

With b_T initialised negative (the paper: -1 to -3, deeper nets more negative) every layer
starts close to the identity, so gradients reach the bottom layers of very deep plain stacks
(seed 004: "creates a highway for gradient updates", the idea ResNet's shortcut simplifies).
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn
from .registry import load_weights, register


class HighwayLayer(nn.Module):
    """y = T·H(x) + (1 - T)·x with H = relu(W_H x + b_H), T = σ(W_T x + b_T).

    Args:
        features: width d (input = output size).
        gate_bias: initial b_T (negative: start by carrying the input).

    Shape: (N, d) -> (N, d)
    """

    def __init__(self, features: int, gate_bias: float = -2.0):
        super().__init__()
        self.features = features
        self.transform = nn.Linear(features, features)  # H
        self.gate = nn.Linear(features, features)  # T
        self.gate_bias = gate_bias
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        if x.shape[-1] != self.features:
            raise ValueError(f"{self!r}: expected input (N, {self.features}), got {x.shape}")
        h = F.relu(self.transform(x))
        t = F.sigmoid(self.gate(x))
        return t * h + (1.0 - t) * x

    def extra_repr(self):
        return f"features={self.features}, gate_bias={self.gate_bias}"


@dataclass
class HighwayConfig:
    in_features: int = 784
    hidden_size: int = 50
    num_layers: int = 10
    num_classes: int = 10
    gate_bias: float = -2.0


class HighwayNet(nn.Module):
    """Linear projection to ``hidden_size`` (ReLU), ``num_layers`` highway layers, classifier.

    Shape: (N, in_features) or (N, C, H, W) with C·H·W = in_features -> (N, num_classes)
    """

    def __init__(self, config: HighwayConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or HighwayConfig(**kwargs)
        if cfg.num_layers < 1:
            raise ValueError(f"HighwayNet: num_layers must be >= 1, got {cfg.num_layers}")
        self.config = cfg
        self.input = nn.Linear(cfg.in_features, cfg.hidden_size)
        self.layers = nn.Sequential(*[HighwayLayer(cfg.hidden_size, cfg.gate_bias)
                                      for _ in range(cfg.num_layers)])
        self.classifier = nn.Linear(cfg.hidden_size, cfg.num_classes)

    def forward(self, x):
        x = F.flatten(x, 1) if x.ndim > 2 else x  # (N, in_features)
        return self.classifier(self.layers(F.relu(self.input(x))))


@register
def highway(*, weights=None, **kwargs):
    """Highway network (default: 784 -> 50 wide, 10 highway layers, gate bias -2)."""
    return load_weights(HighwayNet(HighwayConfig(**kwargs)), weights)
