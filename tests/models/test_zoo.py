"""Model zoo: forward/backward on a batch of 2, parameter counts and state_dict keys equal to
torchvision's (published numbers), a torchvision-layout ResNet state_dict loaded with strict=True
and compared output-for-output with PyTorch, and the seed's AlphaGo / TextCNN / Highway details.

Full-size ImageNet models run at (close to) the smallest input torchvision documents for them:
ResNet 32 (min 1, but BatchNorm statistics need a few values per channel), VGG 32, DenseNet 32
(min 29), GoogLeNet 32 (min 15), Inception v3 75, AlexNet 63.
"""
import numpy as np
import pytest
import torch
import torch.nn as tnn

import gradwise as gw
from gradwise import models
from gradwise.models import resnet as gw_resnet


def n_params(model):
    return sum(p.array.size for p in model.parameters())


def forward_backward(model, shape, rng, dtype=np.float32):
    """Run forward + backward of Σ mean(out²) over every output; check every gradient exists."""
    x = gw.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    out = model(x)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
    loss = sum((o * o).mean() for o in outs)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"parameters without gradient: {missing[:5]}"
    assert x.grad is not None and x.grad.shape == x.shape and np.isfinite(x.grad.array).all()
    assert all(np.isfinite(o.array).all() for o in outs)
    return outs


# -- torchvision parameter counts (published in torchvision's model docs) ------------------------
TORCHVISION_COUNTS = {
    "alexnet": 61_100_840, "resnet18": 11_689_512, "resnet34": 21_797_672,
    "resnet50": 25_557_032, "resnet101": 44_549_160, "resnet152": 60_192_808,
    "resnext50_32x4d": 25_028_904, "wide_resnet50_2": 68_883_240,
    "densenet121": 7_978_856, "densenet161": 28_681_000, "densenet169": 14_149_480,
    "densenet201": 20_013_928, "inception_v3": 27_161_264, "vgg16": 138_357_544,
}
VGG_COUNTS = {"vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848,
              "vgg13_bn": 133_053_736, "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
              "vgg19": 143_667_240, "vgg19_bn": 143_678_248}


@pytest.mark.parametrize("name", ["resnet34", "resnext50_32x4d", "wide_resnet50_2",
                                  "densenet161", "densenet169", "densenet201"])
def test_parameter_count_equals_torchvision(name):
    assert n_params(models.create(name)) == TORCHVISION_COUNTS[name]


def test_vgg_family_parameter_counts_keys_and_forward_backward(rng):
    # The classifier (25088 -> 4096 -> 4096 -> 1000) is shared: build it once (in vgg16), and
    # check each configuration's feature extractor separately (building all eight is slow).
    from gradwise.models.vgg import CFGS, make_layers

    vgg16 = models.vgg16(init_weights=False)
    assert n_params(vgg16) == VGG_COUNTS["vgg16"]
    classifier = n_params(vgg16.classifier)
    for name, count in VGG_COUNTS.items():
        cfg = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}[name.split("_")[0]]
        assert n_params(make_layers(CFGS[cfg], name.endswith("_bn"))) + classifier == count, name
    keys = vgg16.state_dict()
    assert keys["features.28.weight"].shape == (512, 512, 3, 3)  # last conv of vgg16
    assert keys["classifier.6.weight"].shape == (1000, 4096)
    assert list(keys)[-6:] == ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                               "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]
    (out,) = forward_backward(vgg16, (2, 3, 32, 32), rng)  # torchvision's min_size: 32×32
    assert out.shape == (2, 1000)


def test_alexnet_count_keys_and_forward_backward(rng):
    model = models.alexnet(num_classes=1000)
    assert n_params(model) == TORCHVISION_COUNTS["alexnet"]
    sd = model.state_dict()
    assert [k for k in sd if k.endswith("weight")] == [
        "features.0.weight", "features.3.weight", "features.6.weight", "features.8.weight",
        "features.10.weight", "classifier.1.weight", "classifier.4.weight", "classifier.6.weight"]
    (out,) = forward_backward(model, (2, 3, 63, 63), rng)
    assert out.shape == (2, 1000)


def test_original_alexnet_has_the_2012_widths_and_lrn(rng):
    model = models.alexnet(original=True, num_classes=4)
    convs = [m for m in model.features if isinstance(m, gw.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 256, 384, 384, 256]
    assert sum(isinstance(m, gw.nn.LocalResponseNorm) for m in model.features) == 2
    assert model.features(gw.zeros(1, 3, 227, 227)).shape == (1, 256, 6, 6)


# -- ResNet: a torchvision-layout PyTorch twin (written from torchvision/models/resnet.py) ---------
class TBasic(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + idt)


class TBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + idt)


class TResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(block, 64, layers[0])
        self.layer2 = self._make(block, 128, layers[1], 2)
        self.layer3 = self._make(block, 256, layers[2], 2)
        self.layer4 = self._make(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make(self, block, planes, blocks, stride=1):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride,
                                             bias=False), tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _randomise_bn_stats(tmodel, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in tmodel.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.num_batches_tracked.fill_(7)


def test_resnet18_loads_a_torchvision_state_dict_strictly_and_matches_its_output(rng):
    torch.manual_seed(0)
    twin = TResNet(TBasic, [2, 2, 2, 2]).eval()
    _randomise_bn_stats(twin)
    sd = {k: v.numpy() for k, v in twin.state_dict().items()}
    model = models.resnet18()
    assert n_params(model) == TORCHVISION_COUNTS["resnet18"] == sum(
        p.numel() for p in twin.parameters())
    ours = model.state_dict()
    assert list(ours) == list(sd)  # same keys, same order
    assert all(ours[k].shape == v.shape for k, v in sd.items())
    assert ours["layer2.0.downsample.1.num_batches_tracked"].dtype == np.int64
    result = model.load_state_dict(sd, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval()
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    with gw.no_grad():
        ours_out = model(gw.tensor(x)).array
    with torch.no_grad():
        ref = twin(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours_out, ref, rtol=1e-4, atol=1e-4)  # float32, 20 layers
    # The builder's weights= argument takes the same state_dict.
    again = models.resnet18(weights=sd).eval()
    with gw.no_grad():
        np.testing.assert_array_equal(again(gw.tensor(x)).array, ours_out)


def test_resnet50_matches_the_torchvision_twin_and_count(rng):
    torch.manual_seed(1)
    twin = TResNet(TBottleneck, [3, 4, 6, 3]).eval()
    _randomise_bn_stats(twin, 1)
    model = models.resnet50()
    assert n_params(model) == TORCHVISION_COUNTS["resnet50"]
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()}, strict=True)
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    with gw.no_grad():
        out = model.eval()(gw.tensor(x)).array
    with torch.no_grad():
        np.testing.assert_allclose(out, twin(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-4)
    # and it trains: forward/backward in training mode
    (logits,) = forward_backward(model.train(), (2, 3, 32, 32), rng)
    assert logits.shape == (2, 1000)


@pytest.mark.parametrize("name", ["resnet101", "resnet152"])
def test_deep_resnets_count_and_forward_backward(name, rng):
    model = models.create(name)
    assert n_params(model) == TORCHVISION_COUNTS[name]
    # 32×32: at 16×16 layer3 is 1×1, its BatchNorm sees 2 values per channel in training mode,
    # and 36 such blocks amplify the gradient past float32 (PyTorch does the same).
    (out,) = forward_backward(model, (2, 3, 32, 32), rng)
    assert out.shape == (2, 1000)


def test_resnet_state_dict_rejects_wrong_keys():
    model = models.resnet18(num_classes=10)
    sd = {k: v.array for k, v in model.state_dict().items()}
    sd["fc.weight"] = np.zeros((1000, 512), np.float32)
    with pytest.raises(ValueError, match="size mismatch for fc.weight"):
        model.load_state_dict(sd)
    with pytest.raises(ValueError, match="weights: expected None or a state_dict"):
        models.resnet18(weights="IMAGENET1K_V1")


def test_zero_init_residual_makes_blocks_start_as_identity():
    model = models.resnet18(zero_init_residual=True)
    assert all(np.all(b.bn2.weight.array == 0) for layer in (model.layer1, model.layer2)
               for b in layer)


# -- CIFAR ResNets (He et al. 2016, option A) ---------------------------------------------------
CIFAR_COUNTS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


@pytest.mark.parametrize("depth", sorted(CIFAR_COUNTS))
def test_cifar_resnet_counts_match_the_paper(depth):
    # Paper, Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M.
    model = models.create(f"resnet{depth}")
    assert n_params(model) == CIFAR_COUNTS[depth]
    n = (depth - 2) // 6
    convs = [m for m in model.modules() if isinstance(m, gw.nn.Conv2d)]
    assert len(convs) == 6 * n + 1  # + the fc: 6n + 2 weighted layers


def test_cifar_resnet20_forward_backward_both_shortcut_options(rng):
    for shortcut, extra in (("A", 0), ("B", (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64))):
        model = models.resnet20(shortcut=shortcut)
        assert n_params(model) == CIFAR_COUNTS[20] + extra
        (out,) = forward_backward(model, (2, 3, 32, 32), rng)
        assert out.shape == (2, 10)


def test_option_a_shortcut_subsamples_and_zero_pads_channels(rng):
    sc = gw_resnet.ShortcutA(16, 32, 2)
    x = rng.standard_normal((2, 16, 8, 8)).astype(np.float32)
    y = sc(gw.tensor(x)).array
    assert y.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(y[:, 8:24], x[:, :, ::2, ::2])
    assert np.all(y[:, :8] == 0) and np.all(y[:, 24:] == 0)


# -- DenseNet ----------------------------------------------------------------------------------
def test_densenet121_count_keys_and_forward_backward(rng):
    model = models.densenet121(num_classes=1000)
    assert n_params(model) == TORCHVISION_COUNTS["densenet121"]
    sd = model.state_dict()
    for key, shape in [("features.conv0.weight", (64, 3, 7, 7)),
                       ("features.denseblock1.denselayer1.norm1.weight", (64,)),
                       ("features.denseblock1.denselayer6.conv2.weight", (32, 128, 3, 3)),
                       ("features.transition1.conv.weight", (128, 256, 1, 1)),
                       ("features.denseblock4.denselayer16.conv1.weight", (128, 992, 1, 1)),
                       ("features.norm5.running_var", (1024,)), ("classifier.weight", (1000, 1024))]:
        assert sd[key].shape == shape, key
    (out,) = forward_backward(model, (2, 3, 32, 32), rng)
    assert out.shape == (2, 1000)


def test_densenet_bc_cifar(rng):
    model = models.densenet_bc_cifar()  # L = 100, k = 12: the paper's 0.8M
    assert n_params(model) == 769_162
    blocks = [m for name, m in model.features.named_children() if name.startswith("denseblock")]
    assert [len(b) for b in blocks] == [16, 16, 16]
    small = models.densenet_bc_cifar(depth=40, growth_rate=12)
    (out,) = forward_backward(small, (2, 3, 32, 32), rng)
    assert out.shape == (2, 10)
    with pytest.raises(ValueError, match="depth must be 6n \\+ 4"):
        models.densenet_bc_cifar(depth=99)


# -- GoogLeNet and Inception v3 ----------------------------------------------------------------
def test_googlenet_counts_aux_outputs_and_forward_backward(rng):
    assert n_params(models.googlenet(aux_logits=False)) == 6_624_904  # torchvision docs
    model = models.googlenet(num_classes=5)  # aux heads on: 13,004,888 at 1000 classes
    assert n_params(models.googlenet()) == 13_004_888
    sd = model.state_dict()
    assert sd["inception3a.branch2.1.conv.weight"].shape == (128, 96, 3, 3)
    assert sd["inception5b.branch4.1.bn.running_mean"].shape == (128,)
    assert sd["aux1.fc1.weight"].shape == (1024, 2048)
    outs = forward_backward(model, (2, 3, 32, 32), rng)  # training mode: logits, aux2, aux1
    assert isinstance(model(gw.zeros(2, 3, 32, 32)), models.GoogLeNetOutputs)
    assert [o.shape for o in outs] == [(2, 5)] * 3
    model.eval()
    assert model(gw.zeros(1, 3, 15, 15)).shape == (1, 5)  # torchvision's min_size


def test_inception_v3_count_factorised_modules_and_forward_backward(rng):
    model = models.inception_v3(num_classes=1000)
    assert n_params(model) == TORCHVISION_COUNTS["inception_v3"]
    sd = model.state_dict()
    # seed: 5×5 -> two 3×3 (InceptionA), 7×7 -> 1×7 then 7×1 (InceptionC)
    assert sd["Mixed_5b.branch3x3dbl_2.conv.weight"].shape == (96, 64, 3, 3)
    assert sd["Mixed_5b.branch3x3dbl_3.conv.weight"].shape == (96, 96, 3, 3)
    assert sd["Mixed_6b.branch7x7_2.conv.weight"].shape == (128, 128, 1, 7)
    assert sd["Mixed_6b.branch7x7_3.conv.weight"].shape == (192, 128, 7, 1)
    assert sd["AuxLogits.fc.weight"].shape == (1000, 768)
    small = models.inception_v3(num_classes=4, aux_logits=False)
    (out,) = forward_backward(small, (2, 3, 75, 75), rng)  # torchvision's min_size
    assert out.shape == (2, 4)


# -- LeNet-5 ------------------------------------------------------------------------------------
def test_lenet5_is_lecun_1998_with_61706_parameters(rng):
    model = models.lenet5()
    assert n_params(model) == 61_706
    assert [n_params(m) for m in (model.c1, model.c3, model.c5, model.f6, model.output)] == [
        156, 2_416, 48_120, 10_164, 850]
    (out,) = forward_backward(model, (2, 1, 32, 32), rng)
    assert out.shape == (2, 10)
    mnist = models.lenet5(input_size=28)
    assert n_params(mnist) == 61_706 and mnist.c1.padding == (2, 2)
    assert mnist(gw.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"LeNet5: expected input \(N, 1, 32, 32\)"):
        model(gw.zeros(2, 1, 28, 28))


def test_lenet5_paper_options_connection_table_and_trainable_subsampling(rng):
    model = models.lenet5(connection_table=True, subsampling="trainable",
                          activation="scaled_tanh", input_size=28)
    # paper: S2 12, C3 1,516, S4 32 trainable parameters
    assert [n_params(m) for m in (model.s2, model.c3, model.s4)] == [12, 1_516, 32]
    assert n_params(model) == 60_850
    (out,) = forward_backward(model, (2, 1, 28, 28), rng)
    assert out.shape == (2, 10)
    # C3 map 0 sees only S2 maps 0, 1, 2: changing map 5 leaves it unchanged.
    x = rng.standard_normal((1, 6, 14, 14)).astype(np.float32)
    y0 = model.c3(gw.tensor(x)).array
    x[:, 5] += 1.0
    y1 = model.c3(gw.tensor(x)).array
    np.testing.assert_array_equal(y0[:, 0], y1[:, 0])
    assert not np.allclose(y0[:, 15], y1[:, 15])


# -- AlphaGo policy network (seed 000) ----------------------------------------------------------
def test_alphago_policy_network_is_the_seed_description(rng):
    model = models.alphago_policy()
    convs = [m for m in model.modules() if isinstance(m, gw.nn.Conv2d)]
    assert len(convs) == 13  # 1 (5×5) + 11 (3×3) + 1 (1×1)
    assert convs[0].kernel_size == (5, 5) and convs[0].padding == (2, 2)  # 19 + 4 = 23
    assert convs[0].in_channels == 48 and convs[0].out_channels == 192
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) and c.out_channels == 192
               for c in convs[1:12])  # 19 + 2 = 21
    assert convs[12].kernel_size == (1, 1) and convs[12].out_channels == 1
    assert convs[12].bias is None and model.position_bias.bias.shape == (19, 19)  # 361 biases
    assert n_params(model) == 48 * 25 * 192 + 192 + 11 * (192 * 9 * 192 + 192) + 192 + 361
    assert n_params(model) == 3_882_793
    x = gw.tensor(rng.integers(0, 2, (2, 48, 19, 19)).astype(np.float32))
    h = x
    for layer in model.body:
        h = layer(h)
        assert h.shape[2:] == (19, 19)
    assert h.shape == (2, 192, 19, 19)
    p = model.move_probabilities(x)
    assert p.shape == (2, 361)
    np.testing.assert_allclose(p.array.sum(axis=1), 1.0, rtol=1e-5)
    # each board position has its own bias: a large bias on one point moves the argmax there
    model.position_bias.bias.array[3, 16] = 50.0
    assert np.all(np.argmax(model(x).array, axis=1) == 3 * 19 + 16)
    small = models.alphago_policy(filters=8)
    (out,) = forward_backward(small, (2, 48, 19, 19), rng)
    assert out.shape == (2, 361)
    with pytest.raises(ValueError, match=r"expected input \(N, 48, 19, 19\)"):
        small(gw.zeros(1, 48, 9, 9))


# -- Highway and TextCNN ------------------------------------------------------------------------
def test_highway_layer_is_gated_mix_of_transform_and_carry(rng):
    layer = models.HighwayLayer(6, gate_bias=-3.0)
    assert np.all(layer.gate.bias.array == -3.0)
    x = gw.tensor(rng.standard_normal((4, 6)))
    layer.to(np.float64)
    h = np.maximum(layer.transform(x).array, 0)
    t = 1 / (1 + np.exp(-layer.gate(x).array))
    np.testing.assert_allclose(layer(x).array, t * h + (1 - t) * x.array, rtol=1e-12)
    # negative gate bias: with zero gate weights the layer carries ~95% of its input
    layer.gate.weight.array[...] = 0
    np.testing.assert_allclose(layer(x).array, 0.0474258731775668 * h + 0.9525741268224334 * x.array)
    model = models.highway(num_layers=20, hidden_size=16)
    (out,) = forward_backward(model, (2, 784), rng)
    assert out.shape == (2, 10)


@pytest.mark.parametrize("mode", ["rand", "static", "non-static", "multichannel"])
def test_textcnn_kim_2014_modes(mode, rng):
    vectors = rng.standard_normal((50, 16)).astype(np.float32)
    model = models.textcnn(vocab_size=50, embedding_dim=16, mode=mode,
                           pretrained=None if mode == "rand" else vectors)
    assert [c.kernel_size for c in model.convs] == [(3, 16), (4, 16), (5, 16)]
    assert all(c.out_channels == 100 for c in model.convs) and model.dropout.p == 0.5
    assert model.fc.in_features == 300
    tokens = gw.tensor(rng.integers(1, 50, (2, 9)))
    out = model(tokens)
    assert out.shape == (2, 2)
    (out * out).mean().backward()
    emb_grad = model.embedding.weight.grad
    assert (emb_grad is None) == (mode == "static")
    if mode == "multichannel":
        assert model.convs[0].in_channels == 2 and model.embedding_static.weight.grad is None
        np.testing.assert_array_equal(model.embedding_static.weight.array, vectors)
    assert all(c.weight.grad is not None for c in model.convs)
    with pytest.raises(ValueError, match="L >= 5"):
        model(gw.tensor(rng.integers(1, 50, (2, 4))))


def test_textcnn_max_over_time_pooling_ignores_length(rng):
    model = models.textcnn(vocab_size=20, embedding_dim=8, num_filters=4, dropout=0.0).eval()
    F = gw.functional

    def pooled(tokens):  # (N, 3·maps) max-over-time features
        x = model.embedding(gw.tensor(tokens)).unsqueeze(1)
        return gw.cat([F.amax(F.relu(c(x)).squeeze(3), dim=2) for c in model.convs], 1).array

    tokens = rng.integers(1, 20, (1, 7))
    longer = np.concatenate([tokens, rng.integers(1, 20, (1, 6))], axis=1)
    short, long_ = pooled(tokens), pooled(longer)
    assert short.shape == long_.shape == (1, 12)  # any length -> one value per filter
    # the longer sentence contains every window of the shorter one: its max can only grow
    assert np.all(long_ >= short - 1e-6) and np.all(short >= 0)  # float32 GEMM rounding


def test_wide_textcnn_equals_narrow_on_sentences_padded_with_h_minus_1_zero_words(rng):
    """Kim's wide convolution: every filter of width h also sees windows hanging h − 1 words
    over either end, exactly like a narrow filter on a sentence with h − 1 <pad> words added."""
    gw.manual_seed(0)
    wide = models.textcnn(vocab_size=20, embedding_dim=6, filter_sizes=(3,), num_filters=4,
                          dropout=0.0, wide=True).eval()
    gw.manual_seed(0)
    narrow = models.textcnn(vocab_size=20, embedding_dim=6, filter_sizes=(3,), num_filters=4,
                            dropout=0.0).eval()
    tokens = rng.integers(1, 20, (2, 4))
    padded = np.pad(tokens, ((0, 0), (2, 2)))  # id 0 is <pad>, a zero vector
    np.testing.assert_allclose(wide(gw.tensor(tokens)).array, narrow(gw.tensor(padded)).array,
                               rtol=1e-6, atol=1e-6)
    assert wide(gw.tensor(tokens[:, :1])).shape == (2, 2)  # a one-word sentence is fine when wide
    with pytest.raises(ValueError, match="TextCNN: expected token ids"):
        narrow(gw.tensor(tokens[:, :1]))


def test_max_norm_constraint_rescales_only_long_rows():
    w = gw.nn.Parameter(np.array([[3.0, 4.0], [0.3, 0.4]], dtype=np.float32))  # norms 5, 0.5
    models.max_norm_(w, 3.0)
    np.testing.assert_allclose(w.array, [[1.8, 2.4], [0.3, 0.4]], rtol=1e-6)
    model = models.textcnn(vocab_size=10, embedding_dim=4)
    model.fc.weight.array[...] = 10.0
    model.max_norm_()
    np.testing.assert_allclose(np.linalg.norm(model.fc.weight.array, axis=1), 3.0, rtol=1e-5)


# -- registry ----------------------------------------------------------------------------------
def test_registry_create_list_and_torchvision_names():
    names = models.list_models()
    for name in ["alexnet", "vgg16_bn", "resnet18", "resnet152", "resnet56", "densenet121",
                 "googlenet", "inception_v3", "lenet5", "alphago_policy", "textcnn", "highway"]:
        assert name in names
        assert getattr(models, name) is models.get_model_builder(name)
    assert isinstance(models.create("resnet20", num_classes=7), models.CifarResNet)
    assert models.create("lenet5", num_classes=3).output.out_features == 3
    assert gw.models.resnet18 is models.resnet18
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        models.create("resnet19")
    with pytest.raises(ValueError, match="already registered"):
        models.register(lambda: None, name="resnet18")
    with pytest.raises(TypeError):
        models.create("lenet5", bogus=1)  # config dataclasses reject unknown fields


def test_zoo_building_blocks_pass_float64_gradcheck(rng):
    from gradwise.core.gradcheck import gradcheck
    from gradwise.models.lenet import ScaledTanh, SparseC3, Subsampling

    cases = [
        (gw_resnet.ShortcutA(2, 4, 2), (2, 2, 5, 5)),
        (models.PositionBias(3, 4), (2, 1, 3, 4)),
        (Subsampling(3), (2, 3, 4, 6)),
        (ScaledTanh(), (3, 4)),
        (models.HighwayLayer(5, gate_bias=-1.0), (3, 5)),
        (SparseC3(table=((0, 1), (1, 2), (0, 1, 2)), kernel_size=2), (2, 3, 4, 4)),
    ]
    for module, shape in cases:
        module.to(np.float64)
        x = gw.tensor(rng.standard_normal(shape), requires_grad=True)
        params = list(module.parameters())

        def fn(inp, *ps):
            return module(inp)

        assert gradcheck(fn, [x, *params]), type(module).__name__
