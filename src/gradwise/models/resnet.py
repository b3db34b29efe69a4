"""ResNet (He, Zhang, Ren, Sun 2016, "Deep Residual Learning for Image Recognition").

A residual unit learns F(x) = h(x) - x and outputs relu(x + F(x)) (seed 000: "identity function
+ residue function"); ∂loss/∂x_l = ∂loss/∂x_L · (1 + ∂/∂x_l Σ F) keeps gradients flowing.

* ImageNet ResNet-18/34 (``BasicBlock``: two 3×3 convs) and ResNet-50/101/152 (``Bottleneck``:
  1×1 reduce, 3×3, 1×1 expand by 4; stride on the 3×3 as in torchvision "ResNet V1.5"), plus
  ResNeXt and Wide ResNet. Module names, parameter shapes, state_dict keys, parameter counts and
  default initialisation are torchvision's, so a torchvision state_dict loads with strict=True.
* The CIFAR ResNets of the paper's section 4.2 (``resnet20``/32/44/56/110, 6n + 2 layers:
  a 3×3 conv with 16 maps, three stages of n basic blocks with 16/32/64 maps, global average
  pooling, a 10-way fc). Shortcuts are option A by default (the paper's CIFAR choice: identity,
  with the subsampled input zero-padded in channels when the width doubles; parameter-free),
  option B (1×1 projection + BN when the shape changes) by ``shortcut="B"``.

The bottleneck's saving (seed 000): at 256 maps a 3×3 conv costs 256·256·3·3 ≈ 600K
multiplies per position; 1×1 reduce to 64, 3×3, 1×1 expand costs 16K + 36K + 16K ≈ 70K.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import functional as F
from .. import nn
from .registry import load_weights, register


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3×3 convolution with padding (no bias: a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1×1 convolution (no bias)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """relu(x + bn2(conv2(relu(bn1(conv1(x))))))  (two 3×3 convs).

    Shape: (N, inplanes, H, W) -> (N, planes, H/stride, W/stride)
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError(f"BasicBlock: only supports groups=1 and base_width=64, got "
                             f"groups={groups}, base_width={base_width}")
        if dilation > 1:
            raise ValueError(f"BasicBlock: dilation > 1 not supported, got {dilation}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """relu(x + bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))))  (1×1, 3×3, 1×1).

    Shape: (N, inplanes, H, W) -> (N, planes·4, H/stride, W/stride)
    """

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


@dataclass
class ResNetConfig:
    """torchvision's ``ResNet`` arguments; ``block`` is "basic" or "bottleneck"."""

    block: str = "basic"
    layers: tuple = (2, 2, 2, 2)
    num_classes: int = 1000
    zero_init_residual: bool = False
    groups: int = 1
    width_per_group: int = 64
    replace_stride_with_dilation: tuple | None = None


class ResNet(nn.Module):
    """ImageNet ResNet: 7×7/2 conv, 3×3/2 max-pool, four stages, global average pool, fc.

    Shape: (N, 3, H, W) -> (N, num_classes); any H, W >= 1 (the pool is adaptive; at 224 the
    stages run at 56, 28, 14, 7).
    """

    def __init__(self, config: ResNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or ResNetConfig(**kwargs)
        if cfg.block not in BLOCKS:
            raise ValueError(f"ResNet: block must be one of {sorted(BLOCKS)}, got {cfg.block!r}")
        if len(cfg.layers) != 4:
            raise ValueError(f"ResNet: expected 4 stage depths, got layers={cfg.layers}")
        block = BLOCKS[cfg.block]
        self.config = cfg
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        dil = cfg.replace_stride_with_dilation or (False, False, False)
        if len(dil) != 3:
            raise ValueError(f"ResNet: replace_stride_with_dilation should be None or a 3-tuple, "
                             f"got {dil}")
        self.groups = cfg.groups
        self.base_width = cfg.width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, cfg.layers[0])
        self.layer2 = self._make_layer(block, 128, cfg.layers[1], stride=2, dilate=dil[0])
        self.layer3 = self._make_layer(block, 256, cfg.layers[2], stride=2, dilate=dil[1])
        self.layer4 = self._make_layer(block, 512, cfg.layers[3], stride=2, dilate=dil[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, cfg.num_classes)
        _init_resnet(self, cfg.zero_init_residual)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       self._norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, self._norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=self._norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 64, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 512·e, H/32, W/32)
        x = F.flatten(self.avgpool(x), 1)  # (N, 512·e)
        return self.fc(x)


def _init_resnet(model, zero_init_residual):
    """torchvision's init: Kaiming-normal (fan_out, relu) convs, BN γ=1 β=0, default Linear."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    if zero_init_residual:  # each residual branch starts as zero: the block starts as identity
        for m in model.modules():
            if isinstance(m, Bottleneck):
                nn.init.constant_(m.bn3.weight, 0)
            elif isinstance(m, BasicBlock):
                nn.init.constant_(m.bn2.weight, 0)


def _resnet(block, layers, weights, **kwargs):
    return load_weights(ResNet(ResNetConfig(block=block, layers=tuple(layers), **kwargs)), weights)


@register
def resnet18(*, weights=None, progress=True, **kwargs):
    """ResNet-18 (11,689,512 parameters at 1000 classes)."""
    return _resnet("basic", [2, 2, 2, 2], weights, **kwargs)


@register
def resnet34(*, weights=None, progress=True, **kwargs):
    """ResNet-34 (21,797,672 parameters)."""
    return _resnet("basic", [3, 4, 6, 3], weights, **kwargs)


@register
def resnet50(*, weights=None, progress=True, **kwargs):
    """ResNet-50 (25,557,032 parameters)."""
    return _resnet("bottleneck", [3, 4, 6, 3], weights, **kwargs)


@register
def resnet101(*, weights=None, progress=True, **kwargs):
    """ResNet-101 (44,549,160 parameters)."""
    return _resnet("bottleneck", [3, 4, 23, 3], weights, **kwargs)


@register
def resnet152(*, weights=None, progress=True, **kwargs):
    """ResNet-152 (60,192,808 parameters)."""
    return _resnet("bottleneck", [3, 8, 36, 3], weights, **kwargs)


@register
def resnext50_32x4d(*, weights=None, progress=True, **kwargs):
    """ResNeXt-50 32×4d: grouped 3×3 convs, 32 groups of width 4 (25,028,904 parameters)."""
    return _resnet("bottleneck", [3, 4, 6, 3], weights, groups=32, width_per_group=4, **kwargs)


@register
def wide_resnet50_2(*, weights=None, progress=True, **kwargs):
    """Wide ResNet-50-2: bottleneck width doubled (68,883,240 parameters)."""
    return _resnet("bottleneck", [3, 4, 6, 3], weights, width_per_group=128, **kwargs)


# -- CIFAR ResNets (He et al. 2016, section 4.2) ----------------------------------------------------
class ShortcutA(nn.Module):
    """Option A shortcut: x[:, :, ::2, ::2] zero-padded with (planes - C)/2 channels per side.

    Parameter-free. Shape: (N, C, H, W) -> (N, planes, ⌈H/2⌉, ⌈W/2⌉)
    """

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        if (planes - in_planes) % 2:
            raise ValueError(f"ShortcutA: channel increase must be even, got {in_planes}->{planes}")
        self.pad = (planes - in_planes) // 2
        self.stride = stride

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad, self.pad))

    def extra_repr(self):
        return f"stride={self.stride}, pad_channels={self.pad}"


class CifarBasicBlock(nn.Module):
    """Basic block with an option-A or option-B shortcut (3×3, BN, ReLU, 3×3, BN; add; ReLU).

    ``shortcut="none"`` drops the addition: the "plain" block of He et al.'s Figure 6
    (relu(BN(conv(relu(BN(conv x)))))), the same layers without the identity path.
    """

    expansion = 1

    def __init__(self, in_planes, planes, stride=1, shortcut="A"):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.residual = shortcut != "none"
        self.shortcut = nn.Sequential()
        if self.residual and (stride != 1 or in_planes != planes):
            if shortcut == "A":
                self.shortcut = ShortcutA(in_planes, planes, stride)
            else:
                self.shortcut = nn.Sequential(conv1x1(in_planes, planes, stride),
                                              nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x) if self.residual else out)


@dataclass
class CifarResNetConfig:
    """depth = 6n + 2; shortcut "A" (zero-padding identity, the paper's CIFAR choice), "B"
    (1×1 projection where the shape changes) or "none" (the plain network)."""

    depth: int = 20
    num_classes: int = 10
    shortcut: str = "A"
    in_channels: int = 3
    widths: tuple = field(default=(16, 32, 64))


class CifarResNet(nn.Module):
    """CIFAR ResNet-(6n+2): 3×3 conv (16), stages of n blocks at 32², 16², 8², avg pool, fc.

    Shape: (N, in_channels, 32, 32) -> (N, num_classes)
    """

    def __init__(self, config: CifarResNetConfig | None = None, **kwargs):
        super().__init__()
        cfg = config or CifarResNetConfig(**kwargs)
        if (cfg.depth - 2) % 6 or cfg.depth < 8:
            raise ValueError(f"CifarResNet: depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got "
                             f"{cfg.depth}")
        if cfg.shortcut not in ("A", "B", "none"):
            raise ValueError(f"CifarResNet: shortcut must be 'A', 'B' or 'none', got "
                             f"{cfg.shortcut!r}")
        self.config = cfg
        n = (cfg.depth - 2) // 6
        w = cfg.widths
        self.conv1 = conv3x3(cfg.in_channels, w[0])
        self.bn1 = nn.BatchNorm2d(w[0])
        self.relu = nn.ReLU(inplace=True)
        in_planes = w[0]
        for i, planes in enumerate(w):
            blocks = []
            for b in range(n):
                stride = 2 if (i > 0 and b == 0) else 1
                blocks.append(CifarBasicBlock(in_planes, planes, stride, cfg.shortcut))
                in_planes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(w[-1], cfg.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))  # (N, 16, 32, 32)
        x = self.layer3(self.layer2(self.layer1(x)))  # (N, 64, 8, 8)
        return self.fc(F.flatten(self.avgpool(x), 1))


def _cifar(depth, weights, **kwargs):
    return load_weights(CifarResNet(CifarResNetConfig(depth=depth, **kwargs)), weights)


@register
def resnet20(*, weights=None, num_classes=10, shortcut="A", **kwargs):
    """CIFAR ResNet-20 (option A: 269,722 parameters; paper: 0.27M, 8.75% error)."""
    return _cifar(20, weights, num_classes=num_classes, shortcut=shortcut, **kwargs)


@register
def resnet32(*, weights=None, num_classes=10, shortcut="A", **kwargs):
    """CIFAR ResNet-32 (0.46M parameters; 7.51% error)."""
    return _cifar(32, weights, num_classes=num_classes, shortcut=shortcut, **kwargs)


@register
def resnet44(*, weights=None, num_classes=10, shortcut="A", **kwargs):
    """CIFAR ResNet-44 (0.66M parameters; 7.17% error)."""
    return _cifar(44, weights, num_classes=num_classes, shortcut=shortcut, **kwargs)


@register
def resnet56(*, weights=None, num_classes=10, shortcut="A", **kwargs):
    """CIFAR ResNet-56 (0.85M parameters; 6.97% error)."""
    return _cifar(56, weights, num_classes=num_classes, shortcut=shortcut, **kwargs)


@register
def resnet110(*, weights=None, num_classes=10, shortcut="A", **kwargs):
    """CIFAR ResNet-110 (1.7M parameters; 6.43% error)."""
    return _cifar(110, weights, num_classes=num_classes, shortcut=shortcut, **kwargs)


@register
def plain20(*, weights=None, num_classes=10, **kwargs):
    """Plain-20: ResNet-20's layers without shortcuts (He et al. 2016, Figure 6 left)."""
    return _cifar(20, weights, num_classes=num_classes, shortcut="none", **kwargs)


@register
def plain56(*, weights=None, num_classes=10, **kwargs):
    """Plain-56: ResNet-56's layers without shortcuts; trains worse than plain-20 (Figure 1)."""
    return _cifar(56, weights, num_classes=num_classes, shortcut="none", **kwargs)
