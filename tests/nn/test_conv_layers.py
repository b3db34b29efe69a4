"""Conv layers: PyTorch's parameter names/shapes/state_dict, default init, repr, parity after
loading a torch state_dict, and constructor/input errors naming the layer."""
import math

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn

LAYERS = [
    ("Conv1d", (3, 6, 3), dict(stride=2, padding=1, dilation=1, groups=3), (2, 3, 11)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=1, groups=2), (2, 4, 7, 6)),
    ("Conv2d", (3, 5, 4), dict(padding="same", bias=False, dilation=2), (1, 3, 9, 9)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 5)),
    ("ConvTranspose2d", (4, 2, (3, 2)), dict(stride=2, padding=(1, 0), dilation=(1, 2)),
     (2, 4, 3, 4)),
]


def _pair(name, args, kw):
    gw.manual_seed(0)
    torch.manual_seed(0)
    return getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw).double()


# PyTorch's unbatched inputs, (C_in, L) and (C_in, H, W): the same layers without the N axis
UNBATCHED = [(name, args, kw, shape[1:]) for name, args, kw, shape in LAYERS]


@pytest.mark.parametrize("name,args,kw,shape", LAYERS + UNBATCHED, ids=lambda v: str(v))
def test_conv_layer_matches_torch_after_loading_its_state_dict(name, args, kw, shape):
    ours, theirs = _pair(name, args, kw)
    assert repr(ours) == repr(theirs)
    sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd)
    for k, v in ours.state_dict().items():
        assert v.shape == tuple(sd[k].shape), k
    ours.load_state_dict({k: v.numpy() for k, v in sd.items()}, strict=True)
    ours.double()
    x = np.random.default_rng(0).standard_normal(shape)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = ours(gx), theirs(tx)
    np.testing.assert_allclose(gy.array, ty.detach().numpy(), atol=1e-10)
    v = np.random.default_rng(1).standard_normal(gy.shape)
    gy.backward(v)
    (ty * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-10)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, tp.grad.numpy(), atol=1e-10, err_msg=n)


def test_conv_transpose2d_output_size_selects_output_padding_like_torch():
    ours, theirs = _pair("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    y = ours(gw.tensor(x), output_size=(8, 8))
    ty = theirs(torch.tensor(x), output_size=(8, 8))
    assert y.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="requested output size"):
        ours(gw.tensor(x), output_size=(10, 10))


@pytest.mark.parametrize("name,args,fan_in", [("Conv2d", (6, 8, 3, 1, 0, 1, 2), 3 * 9),
                                              ("Conv1d", (4, 5, 7), 4 * 7),
                                              ("ConvTranspose2d", (4, 6, 3), 6 * 9)])
def test_default_init_is_uniform_with_bound_one_over_sqrt_fan_in(name, args, fan_in):
    gw.manual_seed(0)
    layer = getattr(nn, name)(*args)
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.array, layer.bias.array
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.25 * bound  # std of U(±a) is a/√3


def test_conv_constructor_errors_are_raised_in_init_and_name_the_layer():
    with pytest.raises(ValueError, match="Conv2d: in_channels must be divisible by groups, got "
                                         "in_channels=5, groups=2"):
        nn.Conv2d(5, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv1d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: padding must be 'valid', 'same'.*got 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="ConvTranspose2d: output_padding must be smaller"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding_mode 'reflect' is not supported"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")


def test_conv_forward_errors_name_the_layer_with_expected_and_actual_shapes():
    conv = nn.Conv2d(3, 8, 5, padding=1)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(5, 5\).*expected input "
                                         r"\(N, 3, H, W\), got \(2, 4, 9, 9\)"):
        conv(gw.zeros(2, 4, 9, 9))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*kernel size \(5, 5\).*larger than the "
                                         r"padded input \(4, 4\)"):
        conv(gw.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match=r"Conv1d\(.*expected input \(N, 2, L\), got \(3, 9\)"):
        nn.Conv1d(2, 3, 3)(gw.zeros(3, 9))  # (2, 9) is a valid unbatched input, (3, 9) is not


def test_seed_example_32x32x3_ten_5x5_filters_pad_2_keeps_size_with_760_parameters():
    conv = nn.Conv2d(3, 10, 5, stride=1, padding=2)
    assert sum(p.array.size for p in conv.parameters()) == 760
    assert conv(gw.zeros(1, 3, 32, 32)).shape == (1, 10, 32, 32)


@pytest.mark.parametrize("name,args,kw,shape", UNBATCHED, ids=lambda v: str(v))
def test_unbatched_conv_equals_the_batch_of_one(name, args, kw, shape):
    layer = _pair(name, args, kw)[0].double()
    x = gw.tensor(np.random.default_rng(3).standard_normal(shape))
    np.testing.assert_array_equal(layer(x).array, layer(x.unsqueeze(0)).array[0])


def test_unbatched_conv_transpose_output_size_like_torch():
    ours, theirs = _pair("ConvTranspose1d", (2, 3, 3), dict(stride=2, padding=1))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.double()
    x = np.random.default_rng(4).standard_normal((2, 4))
    y, ty = ours(gw.tensor(x), output_size=(8,)), theirs(torch.tensor(x), output_size=(8,))
    assert y.shape == tuple(ty.shape) == (3, 8)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), atol=1e-10)


def test_unbatched_conv_input_with_the_wrong_channels_names_the_layer():
    with pytest.raises(ValueError, match=r"Conv2d\(3, .*expected input \(N, 3, H, W\), got "
                                         r"\(4, 5, 5\) \(unbatched: \(3, H, W\)\)"):
        nn.Conv2d(3, 2, 3)(gw.zeros(4, 5, 5))

