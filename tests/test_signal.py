"""gradwise.signal: true convolution vs cross-correlation, the seed's modes, filters and examples."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwise as gw
from gradwise import signal
from gradwise.core.gradcheck import gradcheck
from gradwise.data.datasets import load_mnist, load_tiny_shakespeare

# Seed 000, "Two-dimensional convolution": the 5×5 input X and 3×3 kernel W of the slide.
SEED_X = np.array([[1, 1, 1, 1, 1],
                   [-1, 0, -3, 0, 1],
                   [2, 1, 1, -1, 0],
                   [0, -1, 1, 2, 1],
                   [1, 2, 1, 1, 1]], dtype=np.float64)
SEED_W = np.array([[1, 0, 0], [0, 0, 0], [0, 0, -1]], dtype=np.float64)


def test_seed_5x5_true_convolution_gives_the_slide_result():
    y = signal.convolve2d(SEED_X, SEED_W, "narrow")
    np.testing.assert_array_equal(y, [[0, -2, -1], [2, 2, 4], [-1, 0, 0]])


def test_seed_5x5_cross_correlation_with_same_kernel_differs():
    y = signal.correlate2d(SEED_X, SEED_W, "narrow")
    np.testing.assert_array_equal(y, [[0, 2, 1], [-2, -2, -4], [1, 0, 0]])
    # Y = W ⊗ X = rot180(W) * X
    np.testing.assert_array_equal(y, signal.convolve2d(SEED_X, np.rot90(SEED_W, 2), "narrow"))


def test_cross_correlation_is_what_conv2d_layers_compute():
    t = torch.nn.functional.conv2d(torch.tensor(SEED_X)[None, None], torch.tensor(SEED_W)[None, None])
    np.testing.assert_array_equal(signal.correlate2d(SEED_X, SEED_W), t[0, 0].numpy())


def test_seed_decay_filter_superposes_delayed_information():
    # y_t = 1·x_t + 1/2·x_{t-1} + 1/4·x_{t-2}
    x = np.array([4.0, 8.0, 16.0, 0.0, 2.0])
    y = signal.convolve1d(x, signal.DECAY, "narrow")
    np.testing.assert_allclose(y, [x[t] + x[t - 1] / 2 + x[t - 2] / 4 for t in range(2, 5)])
    np.testing.assert_array_equal(signal.decay_filter(3), signal.DECAY)
    np.testing.assert_allclose(signal.decay_filter(5, 0.1), [1, 0.1, 0.01, 0.001, 0.0001], rtol=1e-15)


@pytest.mark.parametrize("mode,alias,length", [("narrow", "valid", lambda m, k: m - k + 1),
                                               ("wide", "full", lambda m, k: m + k - 1),
                                               ("equal-width", "same", lambda m, k: m)])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_output_lengths_of_the_three_modes(mode, alias, length, k, rng):
    x, w = rng.standard_normal(9), rng.standard_normal(k)
    y = signal.convolve1d(x, w, mode)
    assert y.shape == (length(9, k),) == (signal.output_length(9, k, mode),)
    np.testing.assert_allclose(y, np.convolve(x, w, alias), atol=1e-12)
    np.testing.assert_array_equal(y, signal.convolve1d(x, w, alias))
    y2 = signal.convolve2d(rng.standard_normal((7, 9)), rng.standard_normal((k, k)), mode)
    assert y2.shape == (length(7, k), length(9, k))


@pytest.mark.parametrize("mode,k,stride", [(m, k, s) for m in ("valid", "full", "same", 2)
                                            for k, s in ((3, 1), (4, 1), (3, 2), (2, 3))
                                            if m != "same" or s == 1])  # torch: 'same' needs S=1
def test_correlate1d_matches_torch_conv1d(mode, k, stride, rng):
    x, w = rng.standard_normal((2, 3, 11)), rng.standard_normal(k)
    pad = {"valid": 0, "full": k - 1}.get(mode, mode)
    t = torch.nn.functional.conv1d(torch.tensor(x).reshape(6, 1, 11), torch.tensor(w)[None, None],
                                   padding=pad, stride=stride)
    y = signal.correlate1d(x, w, mode, stride=stride)
    np.testing.assert_allclose(y, t.reshape(2, 3, -1).numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_convolve2d_matches_scipy_and_correlate2d_matches_torch(mode, rng):
    import scipy.signal

    x, w = rng.standard_normal((8, 7)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(signal.convolve2d(x, w, mode), scipy.signal.convolve2d(x, w, mode),
                               atol=1e-12)
    pad = {"valid": 0, "full": (2, 1), "same": "same"}[mode]
    t = torch.nn.functional.conv2d(torch.tensor(x)[None, None], torch.tensor(w)[None, None],
                                   padding=pad)
    np.testing.assert_allclose(signal.correlate2d(x, w, mode), t[0, 0].numpy(), atol=1e-12)


def test_strided_2d_correlation_matches_torch(rng):
    x, w = rng.standard_normal((3, 9, 10)), rng.standard_normal((3, 3))
    t = torch.nn.functional.conv2d(torch.tensor(x)[:, None], torch.tensor(w)[None, None],
                                   stride=2, padding=1)
    np.testing.assert_allclose(signal.correlate2d(x, w, 1, stride=2), t[:, 0].numpy(), atol=1e-12)


def test_first_and_second_difference_approximate_derivatives():
    t = np.linspace(0, 2 * np.pi, 2001)
    h = t[1] - t[0]
    x = np.sin(t)
    d1 = signal.convolve1d(x, signal.FIRST_DIFFERENCE, "same")[1:-1] / h
    d2 = signal.convolve1d(x, signal.SECOND_DIFFERENCE, "same")[1:-1] / h**2
    np.testing.assert_allclose(d1, np.cos(t[1:-1]), atol=1e-5)
    np.testing.assert_allclose(d2, -np.sin(t[1:-1]), atol=1e-5)
    # The slide's [-1, 0, 1] is the same filter used as a cross-correlation kernel.
    np.testing.assert_allclose(signal.correlate1d(x, [-1.0, 0.0, 1.0], "same"),
                               signal.convolve1d(x, signal.CENTRAL_DIFFERENCE, "same"))
    np.testing.assert_allclose(signal.CENTRAL_DIFFERENCE, 2 * signal.FIRST_DIFFERENCE)


def test_moving_average_is_low_pass_and_second_difference_is_high_pass():
    ma, sd = signal.frequency_response(signal.MOVING_AVERAGE), signal.frequency_response(
        signal.SECOND_DIFFERENCE)
    np.testing.assert_allclose([ma[0], ma[-1]], [1.0, 1 / 3], atol=1e-12)  # DC, Nyquist
    np.testing.assert_allclose([sd[0], sd[-1]], [0.0, 4.0], atol=1e-12)
    assert np.all(np.diff(sd) >= -1e-12)  # rises monotonically with frequency


def test_filter_constants_are_the_seeds_and_read_only():
    np.testing.assert_array_equal(signal.GAUSSIAN_3X3 * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert signal.GAUSSIAN_3X3.sum() == 1 and signal.LAPLACIAN_3X3.sum() == 0
    assert signal.EDGE_3X3.sum() == 0 and signal.MOVING_AVERAGE.sum() == pytest.approx(1)
    with pytest.raises(ValueError):
        signal.LAPLACIAN_3X3[1, 1] = 0


def _first_mnist_test_digit(shared_data):
    images, labels = load_mnist("test", root=shared_data)  # the real idx files, sha256-checked
    assert labels[0] == 7
    return images[0] / 255.0


def test_demo_on_an_mnist_digit(shared_data):
    img = _first_mnist_test_digit(shared_data)  # a "7"
    out = signal.demo(img)
    assert set(out) == {"gaussian", "laplacian", "edge", "d/dx", "d/dy", "d2/dx2", "d2/dy2"}
    assert all(r.shape == (28, 28) for r in out.values())
    tv = lambda a: np.abs(np.diff(a, axis=0)).sum() + np.abs(np.diff(a, axis=1)).sum()  # noqa: E731
    assert tv(out["gaussian"]) < 0.8 * tv(img)  # Gaussian denoising smooths
    # Flat background (the image border) gives zero Laplacian and edge responses; strokes don't.
    for name in ("laplacian", "edge", "d/dx", "d2/dy2"):
        assert np.all(out[name][:2] == 0) and np.abs(out[name]).max() >= 0.49, name
    # The kernels sum to 1 / 0: wide convolution preserves the total / gives total 0.
    wide = signal.demo(img, "wide")
    assert wide["gaussian"].sum() == pytest.approx(img.sum())
    assert wide["laplacian"].sum() == pytest.approx(0, abs=1e-9)


def test_demo_on_tiny_shakespeare_bytes(shared_data):
    text = load_tiny_shakespeare(root=shared_data)[:2000].encode("ascii")
    x = np.frombuffer(text, dtype=np.uint8).astype(np.float64)
    out = signal.demo(x)
    assert set(out) == set(signal.FILTERS_1D) and all(r.shape == x.shape for r in out.values())
    # Smoothing lowers the variance of the byte signal; the second difference raises it.
    assert out["moving_average"].var() < x.var() < out["second_difference"].var()
    # Equal-width mode centres the kernel: y_t = x_{t+1} + x_t/2 + x_{t-1}/4.
    np.testing.assert_allclose(out["decay"][1:-1], x[2:] + x[1:-1] / 2 + x[:-2] / 4)


@pytest.mark.parametrize("fn,w_shape", [(signal.correlate1d, (3,)), (signal.convolve1d, (4,)),
                                        (signal.correlate2d, (2, 3)), (signal.convolve2d, (3, 3))])
@pytest.mark.parametrize("mode,stride", [("narrow", 1), ("wide", 2), ("same", 1)])
def test_tensor_inputs_are_differentiable_gradcheck(fn, w_shape, mode, stride, rng):
    x = gw.tensor(rng.standard_normal((2,) + (6,) * len(w_shape)), requires_grad=True)
    w = gw.tensor(rng.standard_normal(w_shape), requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, mode, stride=stride), (x, w))


def test_tensor_gradients_match_torch(rng):
    x, w = rng.standard_normal((2, 9, 8)), rng.standard_normal((3, 2))
    gx, gwt = gw.tensor(x, requires_grad=True), gw.tensor(w, requires_grad=True)
    y = signal.convolve2d(gx, gwt, "wide", stride=2)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx[:, None], tw.flip(0, 1)[None, None], padding=(2, 1), stride=2)
    v = rng.standard_normal(y.shape)
    np.testing.assert_allclose(y.array, ty[:, 0].detach().numpy(), atol=1e-12)
    y.backward(v)
    (ty[:, 0] * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gwt.grad.array, tw.grad.numpy(), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 12), k=st.integers(1, 6), s=st.integers(1, 3),
       mode=st.sampled_from(["narrow", "wide", "equal-width"]))
def test_output_length_formula_property(m, k, s, mode):
    if mode == "narrow" and k > m:
        with pytest.raises(ValueError, match="larger than the padded input"):
            signal.correlate1d(np.ones(m), np.ones(k), mode, stride=s)
        return
    y = signal.correlate1d(np.ones(m), np.ones(k), mode, stride=s)
    assert y.shape == (signal.output_length(m, k, mode, s),)
    if s == 1:
        assert y.shape[0] == {"narrow": m - k + 1, "wide": m + k - 1, "equal-width": m}[mode]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="correlate2d: expected a 2-d kernel, got shape"):
        signal.correlate2d(np.ones((4, 4)), np.ones(3))
    with pytest.raises(ValueError, match="mode: expected one of"):
        signal.convolve1d(np.ones(5), np.ones(3), "medium")
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) larger than the padded input \(2, 5\)"):
        signal.convolve2d(np.ones((2, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="stride"):
        signal.correlate1d(np.ones(5), np.ones(3), stride=0)
    with pytest.raises(ValueError, match="demo: expected a 1-D signal or a 2-D image"):
        signal.demo(np.ones((2, 2, 2)))
