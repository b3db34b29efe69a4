"""The bad inputs of issue 17 that were silent or unclear: each now matches PyTorch or is refused
with a message naming the layer and giving the expected and actual values."""
import numpy as np
import pytest
import torch

import gradwise as gw
import gradwise.functional as F
from gradwise import nn
from gradwise.nn.utils.rnn import PackedSequence


def _f32(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def test_batchnorm2d_refuses_int64_input_like_torch():
    x = np.ones((2, 3, 4, 4), np.int64)
    with pytest.raises(NotImplementedError):
        torch.nn.BatchNorm2d(3)(torch.from_numpy(x))
    layer = nn.BatchNorm2d(3)
    with pytest.raises(TypeError, match=r"BatchNorm2d\(3.*\): expected input of a floating point "
                                        r"dtype, got int64"):
        layer(gw.tensor(x))
    assert int(layer.num_batches_tracked.array) == 0  # the refused call changed nothing


def test_batchnorm2d_refuses_negative_eps_at_construction():
    with pytest.raises(ValueError):  # PyTorch refuses it at the first forward
        torch.nn.BatchNorm2d(3, eps=-1)(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm2d: eps must be a number >= 0, got -1"):
        nn.BatchNorm2d(3, eps=-1)


def test_batchnorm_with_zero_eps_is_refused_in_training_and_allowed_in_eval_like_torch():
    x = _f32(2, 3, 4, 4)
    with pytest.raises(ValueError, match="eps must be positive during training"):
        torch.nn.BatchNorm2d(3, eps=0)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3, eps=0.*\): eps must be positive during "
                                         r"training, got 0"):
        nn.BatchNorm2d(3, eps=0)(gw.tensor(x))
    want = torch.nn.BatchNorm2d(3, eps=0).eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(nn.BatchNorm2d(3, eps=0).eval()(gw.tensor(x)).array, want,
                               rtol=1e-6)


def test_functional_batch_norm_refuses_negative_eps_with_running_estimates():
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    with pytest.raises(ValueError, match="batch_norm: eps must be non-negative, got -1"):
        F.batch_norm(gw.tensor(_f32(2, 3)), mean, var, training=False, eps=-1)


def test_conv_transpose2d_refuses_an_input_with_zero_spatial_size_like_torch():
    x = np.ones((1, 3, 0, 4), np.float32)
    with pytest.raises(RuntimeError, match="Only zero batch or zero channel"):
        torch.nn.ConvTranspose2d(3, 2, 3)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 2, .*\): only zero batch or zero "
                                         r"channel inputs are supported, got input of shape "
                                         r"\(1, 3, 0, 4\)"):
        nn.ConvTranspose2d(3, 2, 3)(gw.tensor(x))
    with pytest.raises(ValueError, match="conv_transpose2d: only zero batch"):
        F.conv_transpose2d(gw.tensor(x), gw.tensor(_f32(3, 2, 3, 3)))


def test_conv_transpose2d_with_an_empty_batch_returns_an_empty_output_like_torch():
    x = np.ones((0, 3, 4, 4), np.float32)
    want = torch.nn.ConvTranspose2d(3, 2, 3)(torch.from_numpy(x)).shape
    assert nn.ConvTranspose2d(3, 2, 3)(gw.tensor(x)).shape == tuple(want)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
def test_regression_losses_refuse_integer_tensors_like_torch(loss):
    a = np.ones(3, np.int64)
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(torch.nn.functional, loss)(torch.from_numpy(a), torch.from_numpy(a))
    with pytest.raises(TypeError, match=f"{loss}: input must be floating point, got int64"):
        getattr(F, loss)(gw.tensor(a), gw.tensor(a))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_refuses_a_zero_length_sequence_naming_itself(cls):
    x = np.ones((0, 2, 3), np.float32)
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        getattr(torch.nn, cls)(3, 4)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=rf"{cls}: expected a sequence length larger than 0, got "
                                         r"input of shape \(0, 2, 3\)"):
        getattr(nn, cls)(3, 4)(gw.tensor(x))


def test_packed_sequence_refuses_increasing_batch_sizes():
    with pytest.raises(ValueError, match=r"PackedSequence: batch_sizes must be non-increasing "
                                         r".*got \[2, 3\]"):
        PackedSequence(gw.tensor(_f32(5, 3)), np.array([2, 3]))


def test_packed_sequence_refuses_zero_batch_sizes():
    with pytest.raises(ValueError, match=r"batch_sizes must be a 1-D sequence of positive ints, "
                                         r"got \[2, 0\]"):
        PackedSequence(gw.tensor(_f32(2, 3)), np.array([2, 0]))


@pytest.mark.parametrize("in_features,out_features", [(0, 4), (3, 0), (0, 0)])
def test_linear_with_zero_features_returns_the_well_defined_result_like_torch(in_features,
                                                                             out_features):
    x = _f32(2, in_features)
    t = torch.nn.Linear(in_features, out_features)
    layer = nn.Linear(in_features, out_features)
    layer.load_state_dict(t.state_dict())
    xt, xg = torch.from_numpy(x).requires_grad_(), gw.tensor(x, requires_grad=True)
    want, got = t(xt), layer(xg)
    assert got.shape == tuple(want.shape) and got.dtype == np.float32
    np.testing.assert_allclose(got.array, want.detach().numpy(), rtol=1e-6)
    got.sum().backward()
    want.sum().backward()
    assert layer.weight.grad.shape == tuple(t.weight.grad.shape)
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-6)


def test_embedding_with_zero_dim_returns_an_empty_row_per_index_like_torch():
    idx = np.array([1, 2])
    want = torch.nn.Embedding(5, 0)(torch.from_numpy(idx))
    got = nn.Embedding(5, 0)(gw.tensor(idx))
    assert got.shape == tuple(want.shape) == (2, 0) and got.dtype == np.float32


@pytest.mark.parametrize("cls,shape", [("Conv1d", (1, 3, 5)), ("Conv2d", (1, 3, 5, 5)),
                                       ("ConvTranspose1d", (1, 3, 5))])
def test_conv_dtype_error_names_the_layer_not_the_2d_kernel(cls, shape):
    x = np.ones(shape, np.float64)
    with pytest.raises(RuntimeError):
        getattr(torch.nn, cls)(3, 2, 3)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=rf"^{cls}\(3, 2, .*\): expected input of dtype float32, "
                                         r"got float64$"):
        getattr(nn, cls)(3, 2, 3)(gw.tensor(x))


def test_functional_conv1d_dtype_error_names_conv1d():
    with pytest.raises(ValueError, match="^conv1d: input dtype float64 and weight dtype float32"):
        F.conv1d(gw.tensor(np.ones((1, 3, 5))), gw.tensor(_f32(2, 3, 3)))


def test_linear_refuses_input_of_another_dtype_like_torch():
    x = np.ones((2, 3), np.int64)
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.nn.Linear(3, 4)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, .*\): expected input of dtype "
                                         r"float32, got int64"):
        nn.Linear(3, 4)(gw.tensor(x))
