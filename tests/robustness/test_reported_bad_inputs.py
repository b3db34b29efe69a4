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


# -- found by the sweep (tests/robustness/test_error_inputs_sweep.py) ----------------------------
@pytest.mark.parametrize("size", [1, 2, 5])
def test_adaptive_avg_pool_keeps_a_nan_inside_its_own_window_like_torch(size):
    x = _f32(1, 2, 6, 6)
    x[0, 0, 0, 0] = np.nan
    want = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), size).numpy()
    got = F.adaptive_avg_pool2d(gw.tensor(x), size).array
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)
    got1 = F.adaptive_avg_pool1d(gw.tensor(x[:, :, 0]), size).array
    want1 = torch.nn.functional.adaptive_avg_pool1d(torch.from_numpy(x[:, :, 0]), size).numpy()
    np.testing.assert_allclose(got1, want1, rtol=1e-5, equal_nan=True)


def test_adaptive_pools_refuse_an_empty_image_like_torch():
    x = np.ones((2, 3, 4, 0), np.float32)
    with pytest.raises(RuntimeError, match="non-zero size"):
        torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), 2)
    for op in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        with pytest.raises(ValueError, match=rf"{op}: expected input with non-zero size for "
                                             r"non-batch dimensions, got shape \(2, 3, 4, 0\)"):
            getattr(F, op)(gw.tensor(x), 2)


@pytest.mark.parametrize("op", ["sigmoid", "tanh", "elu", "gelu", "leaky_relu", "softplus",
                                "softmax", "log_softmax"])
def test_activations_refuse_integer_input_instead_of_returning_an_integer_result(op):
    x = gw.tensor(np.arange(4))
    with pytest.raises(TypeError, match=rf"{op}: expected input of a floating point dtype, "
                                        r"got int64"):
        getattr(F, op)(x) if "softmax" not in op else getattr(F, op)(x, dim=0)


def test_softmax_with_a_dim_out_of_range_names_the_op_and_the_valid_range():
    with pytest.raises(IndexError):
        torch.softmax(torch.ones(2, 3), 2)
    with pytest.raises(IndexError, match=r"softmax: dim must be in \[-2, 1\] for a 2-d input, "
                                         r"got 2"):
        F.softmax(gw.tensor(_f32(2, 3)), dim=2)


def test_binary_cross_entropy_refuses_nan_probabilities_like_torch():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        torch.nn.functional.binary_cross_entropy(torch.tensor([np.nan, 0.5]),
                                                 torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should be "
                                         "between 0 and 1"):
        F.binary_cross_entropy(gw.tensor(np.array([np.nan, 0.5], np.float32)),
                               gw.tensor(np.array([1.0, 0.0], np.float32)))


@pytest.mark.parametrize("cls,shape", [("BatchNorm2d", (2, 3, 4, 4)), ("LayerNorm", (2, 3))])
def test_norm_layers_refuse_input_of_another_float_dtype_like_torch(cls, shape):
    x = np.ones(shape, np.float64)
    with pytest.raises(RuntimeError, match="mixed dtype"):
        getattr(torch.nn, cls)(3)(torch.from_numpy(x))
    with pytest.raises(ValueError, match=rf"{cls}\(.*\): expected input of dtype float32, "
                                         r"got float64"):
        getattr(nn, cls)(3)(gw.tensor(x))


def test_flatten_of_an_empty_batch_returns_the_empty_result_like_torch():
    x = np.ones((0, 3, 4), np.float32)
    want = torch.nn.Flatten()(torch.from_numpy(x))
    assert nn.Flatten()(gw.tensor(x)).shape == tuple(want.shape) == (0, 12)


def test_check_shape_names_the_owner_and_shows_the_expected_symbols_and_the_actual_shape():
    from gradwise.core.checks import check_shape
    check_shape("Cell", "input", np.zeros((2, 3)), ("N", 3))
    with pytest.raises(ValueError, match=r"^Cell: expected input \(N, 3\), got \(2, 4\)$"):
        check_shape("Cell", "input", np.zeros((2, 4)), ("N", 3))
    with pytest.raises(ValueError, match=r"^Cell: expected input \(N, 3\), got \(2, 3, 1\)$"):
        check_shape("Cell", "input", np.zeros((2, 3, 1)), ("N", 3))


@pytest.mark.parametrize("value", [True, False, 2.0, "2", None])
def test_ntuple_refuses_bools_and_non_integers_everywhere(value):
    from gradwise.core.checks import ntuple
    with pytest.raises(ValueError, match=r"^Conv2d: stride must be an int or a tuple of 2 ints"):
        ntuple("Conv2d", "stride", value, 2)
    with pytest.raises(ValueError, match="stride must be an int or a tuple of 2 ints"):
        nn.Conv2d(3, 2, 3, stride=value)
    with pytest.raises(ValueError, match="stride must be an int or a tuple of 2 ints"):
        F.max_pool2d(gw.tensor(_f32(1, 1, 4, 4)), 2, stride=value if value is not None else True)


def test_pool_module_no_longer_imports_conv_private_helpers():
    import ast
    import pathlib
    src = pathlib.Path(F.pooling.__file__).read_text()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom) and node.module == "conv":
            pytest.fail(f"pool.py imports {[a.name for a in node.names]} from conv")
