"""DenseNet (Huang, Liu, van der Maaten, Weinberger 2017): every layer sees all earlier maps.

Seed 004 ("gradient flow: DenseNet"): inside a dense block layer ℓ receives
x_ℓ = H_ℓ([x_0, x_1, ..., x_{ℓ-1}]) (channel concatenation), so every layer has a short path to
the loss. H_ℓ is the "BC" bottleneck BN-ReLU-Conv1×1(bn_size·k)-BN-ReLU-Conv3×3(k) with growth
rate k; transitions BN-ReLU-Conv1×1(θ·C)-AvgPool2×2 halve the maps (compression θ = 0.5).

* ``densenet121/161/169/201``: torchvision's ImageNet models (module names, init, parameter
  counts: densenet121 7,978,856; state_dict keys as torchvision's current
  ``features.denseblock1.denselayer1.norm1.weight`` form).
* ``densenet_bc_cifar``: DenseNet-BC for CIFAR (paper section 3): 3×3 stem conv with 2k maps,
  three dense blocks of (depth - 4)/6 bottleneck layers on 32², 16², 8², compression 0.5
  (L = 100, k = 12: 0.8M parameters).
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import nn
from .registry import load_weights, register


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1×1 (bn_size·k maps) - BN-ReLU-Conv3×3 (k maps) on the concatenated inputs.

    Shape: list of (N, C_i, H, W) with Σ C_i = num_input_features -> (N, growth_rate, H, W)
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                 memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient  # accepted for torchvision compatibility

    def forward(self, inputs):
        x = F.cat(list(inputs), 1) if isinstance(inputs, (list, tuple)) else inputs
        bottleneck = self.conv1(self.relu1(self.norm1(x)))  # (N, bn_size·k, H, W)
        new = self.conv2(self.relu2(self.norm2(bottleneck)))  # (N, k, H, W)
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    """num_layers dense layers; output = concat of the input and every layer's k new maps.

    Shape: (N, C, H, W) -> (N, C + num_layers·k, H, W)
    """

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                 memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size,
                                drop_rate, memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return F.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-Conv1×1-AvgPool2×2.  Shape: (N, C_in, H, W) -> (N, C_out, H/2, W/2)."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


@dataclass
class DenseNetConfig:
    """torchvision's DenseNet arguments plus ``stem`` ("imagenet" or "cifar") and compression."""

    growth_rate: int = 32
    block_config: tuple = (6, 12, 24, 16)
    num_init_features: int = 64
    bn_size: int = 4
    drop_rate: float = 0.0
    num_classes: int = 1000
    memory_efficient: bool = False
    stem: str = "imagenet"
    compression: float = 0.5


class DenseNet(nn.Module):
    """features (stem, dense blocks, transitions, final BN) -> ReLU -> global avg-pool -> fc.

    Shape: (N, 3, H, W) -> (N, num_classes). ImageNet stem: 7×7/2 conv + 3×3/2 max-pool
    (H, W >= 29 for 4 blocks); CIFAR stem: one 3×3 conv (32×32 input).
    """

    def __init__(self, config: DenseNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or DenseNetConfig(**kwargs)
        if cfg.stem not in ("imagenet", "cifar"):
            raise ValueError(f"DenseNet: stem must be 'imagenet' or 'cifar', got {cfg.stem!r}")
        if not 0 < cfg.compression <= 1:
            raise ValueError(f"DenseNet: compression must be in (0, 1], got {cfg.compression}")
        self.config = cfg
        if cfg.stem == "imagenet":
            self.features = nn.Sequential()
            self.features.add_module("conv0", nn.Conv2d(3, cfg.num_init_features, kernel_size=7,
                                                        stride=2, padding=3, bias=False))
            self.features.add_module("norm0", nn.BatchNorm2d(cfg.num_init_features))
            self.features.add_module("relu0", nn.ReLU(inplace=True))
            self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        else:
            self.features = nn.Sequential()
            self.features.add_module("conv0", nn.Conv2d(3, cfg.num_init_features, kernel_size=3,
                                                        padding=1, bias=False))
        num_features = cfg.num_init_features
        for i, num_layers in enumerate(cfg.block_config):
            block = _DenseBlock(num_layers, num_features, cfg.bn_size, cfg.growth_rate,
                                cfg.drop_rate, cfg.memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * cfg.growth_rate
            if i != len(cfg.block_config) - 1:
                out_features = int(num_features * cfg.compression)
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, out_features))
                num_features = out_features
        self.features.add_module(f"norm{len(cfg.block_config) + 1}"
                                 if cfg.stem == "imagenet" else "norm_final",
                                 nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, cfg.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        features = self.features(x)  # (N, C, h, w)
        out = F.adaptive_avg_pool2d(F.relu(features), (1, 1))  # (N, C, 1, 1)
        return self.classifier(F.flatten(out, 1))


def _densenet(growth_rate, block_config, num_init_features, weights, kwargs):
    cfg = DenseNetConfig(growth_rate=growth_rate, block_config=tuple(block_config),
                         num_init_features=num_init_features, **kwargs)
    return load_weights(DenseNet(cfg), weights)


@register
def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121 (k = 32, blocks 6-12-24-16; 7,978,856 parameters)."""
    return _densenet(32, (6, 12, 24, 16), 64, weights, kwargs)


@register
def densenet161(*, weights=None, progress=True, **kwargs):
    """DenseNet-161 (k = 48, blocks 6-12-36-24, 96 stem maps; 28,681,000 parameters)."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, kwargs)


@register
def densenet169(*, weights=None, progress=True, **kwargs):
    """DenseNet-169 (k = 32, blocks 6-12-32-32; 14,149,480 parameters)."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, kwargs)


@register
def densenet201(*, weights=None, progress=True, **kwargs):
    """DenseNet-201 (k = 32, blocks 6-12-48-32; 20,013,928 parameters)."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, kwargs)


@register
def densenet_bc_cifar(*, weights=None, depth=100, growth_rate=12, num_classes=10, **kwargs):
    """DenseNet-BC for CIFAR: depth L = 6n + 4, three blocks of n bottleneck layers.

    L = 100, k = 12 (default): 0.8M parameters (paper: 4.51% error on CIFAR-10+).
    """
    if (depth - 4) % 6 or depth < 10:
        raise ValueError(f"densenet_bc_cifar: depth must be 6n + 4 (40, 100, 190, 250, ...), "
                         f"got {depth}")
    n = (depth - 4) // 6
    cfg = DenseNetConfig(growth_rate=growth_rate, block_config=(n, n, n),
                         num_init_features=2 * growth_rate, num_classes=num_classes,
                         stem="cifar", **kwargs)
    return load_weights(DenseNet(cfg), weights)
