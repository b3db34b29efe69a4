"""Shape tools: conv_output_size (seed 000's spatial-dimension examples), receptive fields and the
per-layer ``summary`` (output shapes, parameters, MACs, receptive field and jump, totals)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
from gradwise import models, nn
from gradwise.models.resnet import Bottleneck
from gradwise.utils import conv_output_size, receptive_field, summary


# -- conv_output_size ---------------------------------------------------------------------------
def test_seed_7x7_input_3x3_filter_stride_1_2_3():
    assert conv_output_size(7, 3, stride=1) == 5  # (7 - 3)/1 + 1
    assert conv_output_size(7, 3, stride=2) == 3  # (7 - 3)/2 + 1
    assert conv_output_size(7, 3, stride=3) == 2  # layers drop the rest: floor(2.33)
    with pytest.raises(ValueError, match=r"doesn't fit.*= 2\.33"):
        conv_output_size(7, 3, stride=3, strict=True)
    assert conv_output_size(7, 3, stride=2, strict=True) == 3


def test_seed_zero_padding_examples():
    assert conv_output_size(7, 3, padding=1) == 7  # "pad with 1 pixel border => 7x7 output"
    for f in (3, 5, 7):  # zero-pad with (F - 1)/2 preserves the size
        assert conv_output_size(32, f, padding=(f - 1) // 2) == 32
    assert conv_output_size(32, 5, 1, 2) == 32  # 32x32x3, 10 5x5 filters, stride 1, pad 2
    assert conv_output_size((32, 20), (5, 3), 1, (2, 1)) == (32, 20)
    assert conv_output_size(10, 3, padding="same") == 10 and conv_output_size(10, 3, padding="valid") == 8


def test_dilation_and_pooling_formula():
    assert conv_output_size(7, 3, dilation=2) == 3  # effective extent 5
    assert conv_output_size(224, 2, stride=2) == 112  # 2×2/2 pooling
    assert conv_output_size(28, 5) == 24 and conv_output_size(12, 5) == 8


def test_conv_output_size_errors():
    with pytest.raises(ValueError, match="larger than the padded input 2"):
        conv_output_size(2, 3)
    with pytest.raises(ValueError, match="stride an int >= 1"):
        conv_output_size(7, 3, stride=0)
    with pytest.raises(ValueError, match="kernel has 3 values for 2 dimension"):
        conv_output_size((7, 7), (3, 3, 3))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        conv_output_size(7, 3, stride=2, padding="same")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_matches_torch_conv1d_and_gradwise_conv2d(n, k, s, p, d):
    if n + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError):
            conv_output_size(n, k, s, p, d)
        return
    expected = torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s,
                                          padding=p, dilation=d).shape[-1]
    assert conv_output_size(n, k, s, p, d) == expected
    y = gw.functional.conv2d(gw.zeros(1, 1, n, 2), gw.zeros(1, 1, k, 1), stride=(s, 1),
                             padding=(p, 0), dilation=(d, 1))
    assert y.shape[2] == expected
    if (n + 2 * p - d * (k - 1) - 1) % s:
        with pytest.raises(ValueError, match="doesn't fit"):
            conv_output_size(n, k, s, p, d, strict=True)


def test_receptive_field_of_stacked_convs_is_1_plus_L_times_K_minus_1():
    for L in range(6):
        for K in (3, 5, 7):
            assert receptive_field(L, K) == 1 + L * (K - 1)
    assert receptive_field(2, 3, stride=2) == 1 + 2 + 2 * 2  # second layer steps by 2 pixels


# -- summary ------------------------------------------------------------------------------------
def test_seed_conv_layer_example_32x32x3_ten_5x5_filters():
    conv = nn.Conv2d(3, 10, 5, stride=1, padding=2)
    s = summary(conv, (1, 3, 32, 32))
    (row,) = s.rows
    assert row.output_shape == (1, 10, 32, 32)  # 32x32x10
    assert row.params == s.total_params == (5 * 5 * 3 + 1) * 10 == 760
    assert row.macs == 32 * 32 * 10 * (5 * 5 * 3)
    assert row.receptive_field == (5, 5) and row.jump == (1, 1)
    text = str(s)
    assert "Total params: 760" in text and "(1, 10, 32, 32)" in text


@pytest.mark.parametrize("K", [3, 5])
def test_summary_receptive_field_grows_by_K_minus_1_per_layer(K):
    L = 5
    layers = []
    for _ in range(L):
        layers += [nn.Conv2d(2, 2, K, padding=K // 2), nn.ReLU()]
    s = summary(nn.Sequential(*layers), (1, 2, 16, 16))
    conv_rows = [r for r in s.rows if r.type == "Conv2d"]
    assert [r.receptive_field[0] for r in conv_rows] == [1 + l * (K - 1) for l in range(1, L + 1)]
    assert all(r.receptive_field == conv_rows[i].receptive_field for i, r in enumerate(s.rows[1::2]))


def test_summary_tracks_jump_through_strides_and_pooling():
    # LeNet-5: C1 5, S2 6 (jump 2), C3 6 + 4·2 = 14, S4 16 (jump 4), C5 16 + 4·4 = 32 = the image
    s = summary(models.lenet5(), (1, 1, 32, 32))
    fields = {r.name: (r.receptive_field, r.jump) for r in s.rows}
    assert fields["c1"] == ((5, 5), (1, 1))
    assert fields["s2"] == ((6, 6), (2, 2))
    assert fields["c3"] == ((14, 14), (2, 2))
    assert fields["s4"] == ((16, 16), (4, 4))
    assert fields["c5"] == ((32, 32), (4, 4))
    assert fields["output"] == ((32, 32), None)  # a Linear sees the whole input
    assert s.total_params == 61_706 == sum(r.params for r in s.rows)
    assert s.total_macs == (28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10)


def test_resnet_bottleneck_saves_about_9x_multiplies():
    """Seed 000: 3×3 convs at 256 maps: 256·256·3·3 ≈ 600K multiplies (per output position);
    1×1 to 64, 3×3, 1×1 back to 256: 16K + 36K + 16K ≈ 70K."""
    plain = summary(nn.Conv2d(256, 256, 3, padding=1, bias=False), (1, 256, 1, 1))
    assert plain.total_macs == 256 * 256 * 3 * 3 == 589_824
    assert plain.total_macs == pytest.approx(600_000, rel=0.02)
    block = summary(Bottleneck(256, 64), (1, 256, 1, 1))
    conv_macs = [r.macs for r in block.rows if r.type == "Conv2d"]
    assert conv_macs == [256 * 64, 64 * 64 * 9, 64 * 256] == [16_384, 36_864, 16_384]
    assert sum(conv_macs) == 69_632 and sum(conv_macs) == pytest.approx(70_000, rel=0.01)
    # on a real feature map the ratio is the same at every position
    big = summary(Bottleneck(256, 64), (1, 256, 14, 14))
    assert sum(r.macs for r in big.rows if r.type == "Conv2d") == 69_632 * 14 * 14


def test_alphago_policy_net_summary_shapes_and_fields():
    s = summary(models.alphago_policy(), (1, 48, 19, 19))
    convs = [r for r in s.rows if r.type == "Conv2d"]
    assert len(convs) == 13
    assert all(r.output_shape == (1, 192, 19, 19) for r in convs[:12])
    assert convs[12].output_shape == (1, 1, 19, 19)
    assert [r.receptive_field[0] for r in convs] == [5 + 2 * i for i in range(12)] + [27]
    (bias_row,) = [r for r in s.rows if r.type == "PositionBias"]
    assert bias_row.params == 361
    assert s.output_shape == (1, 361)
    assert s.total_params == 3_882_793 == sum(r.params for r in s.rows)
    assert s.total_macs == 19 * 19 * (192 * 48 * 25 + 11 * 192 * 192 * 9 + 192)


@pytest.mark.parametrize("name,size,dtype", [
    ("resnet18", (1, 3, 32, 32), np.float32),
    ("resnet20", (1, 3, 32, 32), np.float32),
    ("densenet_bc_cifar", (1, 3, 32, 32), np.float32),
    ("highway", (1, 784), np.float32),
    ("textcnn", (1, 12), np.int64),
])
def test_summary_totals_equal_parameter_counts(name, size, dtype):
    kw = {"depth": 40} if name == "densenet_bc_cifar" else (
        {"vocab_size": 100} if name == "textcnn" else {})
    model = models.create(name, **kw)
    model.train()
    s = summary(model, size, dtype=dtype)
    count = sum(p.array.size for p in model.parameters())
    assert s.total_params == count == sum(r.params for r in s.rows)
    assert s.trainable_params == sum(p.array.size for p in model.parameters() if p.requires_grad)
    assert s.total_macs > 0 and s.output_shape[0] == 1
    # the model is left as it was: training mode, no hooks
    assert model.training and all(not m._forward_hooks for m in model.modules())
    assert f"Total params: {count:,}" in str(s)


def test_summary_of_a_residual_network_takes_the_largest_field_over_branches():
    s = summary(models.resnet18(num_classes=10), (1, 3, 64, 64))
    fields = {r.name: r.receptive_field[0] for r in s.rows if r.receptive_field}
    assert fields["conv1"] == 7 and fields["maxpool"] == 11  # 7 + (3-1)·2
    # layer1.0: two 3×3 convs at jump 4 after the residual add
    assert fields["layer1.0.conv1"] == 19 and fields["layer1.0.conv2"] == 27
    # the shortcut's 1×1 conv only sees what its input saw
    assert fields["layer2.0.downsample.0"] == fields["layer1.1.conv2"]
    assert fields["fc"] == 64


def test_static_textcnn_summary_counts_frozen_parameters():
    vectors = np.random.default_rng(0).standard_normal((30, 8)).astype(np.float32)
    model = models.textcnn(vocab_size=30, embedding_dim=8, mode="static", pretrained=vectors)
    s = summary(model, (2, 9), dtype=np.int64)
    assert s.total_params - s.trainable_params == 30 * 8
    assert s.output_shape == (2, 2)


def test_summary_rejects_input_without_batch_dimension():
    with pytest.raises(ValueError, match="batch dimension"):
        summary(nn.Linear(3, 2), (3,))
