import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.data.datasets import ar_series, narx_regressors
from gradwise.nn.tdnn import AR, NARX, TDNN


def _numpy_tdnn_layer(x, w, b, d, causal):
    """h_t = Σ_k W[:, :, K−k] x_{t−k·d} + b over the delays k = 0..K (cross-correlation)."""
    K = w.shape[2] - 1
    if causal:
        x = np.concatenate([np.zeros(x.shape[:2] + (d * K,)), x], axis=2)
    L = x.shape[2] - d * K
    out = np.zeros((x.shape[0], w.shape[0], L)) + b[None, :, None]
    for t in range(L):
        for k in range(K + 1):
            out[:, :, t] += x[:, :, t + d * K - k * d] @ w[:, :, K - k].T
    return out


@pytest.mark.parametrize("causal", [True, False])
def test_tdnn_matches_delay_formula_and_torch(causal, rng):
    gw.manual_seed(0)
    net = TDNN(3, hidden_sizes=(4, 2), context=(2, 1), dilation=(1, 3), activation="tanh",
               causal=causal, dtype=np.float64)
    x = rng.standard_normal((2, 3, 12))
    h = x
    ref = torch.tensor(x)
    for layer, d in zip(net.layers, (1, 3)):
        w, b = layer.weight.array, layer.bias.array
        h = np.tanh(_numpy_tdnn_layer(h, w, b, d, causal))
        if causal:
            ref = torch.nn.functional.pad(ref, (d * (w.shape[2] - 1), 0))
        ref = torch.tanh(torch.nn.functional.conv1d(ref, torch.tensor(w), torch.tensor(b), dilation=d))
    out = net(gw.tensor(x))
    np.testing.assert_allclose(out.array, h, atol=1e-12)
    np.testing.assert_allclose(out.array, ref.numpy(), atol=1e-12)
    assert out.shape == ((2, 2, 12) if causal else (2, 2, 12 - 2 - 3))
    assert net.receptive_field == 1 + 2 + 3


def test_causal_tdnn_never_looks_ahead_and_sees_its_receptive_field(rng):
    gw.manual_seed(1)
    net = TDNN(2, hidden_sizes=(3, 3, 3), context=2, dilation=(1, 2, 4), dtype=np.float64,
               activation="tanh", output_size=1)
    assert net.receptive_field == 1 + 2 + 4 + 8
    x = gw.tensor(rng.standard_normal((1, 2, 30)), requires_grad=True)
    net(x)[0, 0, 20].backward()
    touched = np.flatnonzero(np.abs(x.grad.array).sum(axis=(0, 1)))
    assert touched.max() == 20 and touched.min() == 20 - net.receptive_field + 1


def test_strided_tdnn_shape_and_gradcheck(rng):
    gw.manual_seed(2)
    net = TDNN(2, hidden_sizes=(3, 2), context=1, stride=(2, 1), dtype=np.float64)
    x = gw.tensor(rng.standard_normal((2, 2, 9)), requires_grad=True)
    assert net(x).shape == (2, 2, 5)
    assert gradcheck(lambda x, *p: net(x), [x, *net.parameters()])


def test_ar_fit_recovers_coefficients_and_forecasts():
    y = ar_series(4000, coeffs=(0.6, -0.2, 0.1), intercept=0.3, noise_std=0.1,
                  rng=np.random.default_rng(0))
    model = AR(3, dtype=np.float64).fit(y)
    np.testing.assert_allclose(model.linear.weight.array[0], [0.6, -0.2, 0.1], atol=0.04)
    yt = gw.tensor(y[None, :, None])
    pred = model(yt).array[0, :, 0]
    ref = model.linear.bias.array[0] + sum(model.linear.weight.array[0, k - 1] * y[3 - k:-k]
                                                for k in (1, 2, 3))
    np.testing.assert_allclose(pred, ref, atol=1e-12)
    # a recursive forecast equals one-step predictions fed back by hand
    fc = model.forecast(yt[:, :100], 3).array[0, :, 0]
    w, b, hist = model.linear.weight.array[0], model.linear.bias.array[0], list(y[:100])
    for _ in range(3):
        hist.append(b + w[0] * hist[-1] + w[1] * hist[-2] + w[2] * hist[-3])
    np.testing.assert_allclose(fc, hist[100:], atol=1e-12)


def test_ar_gradcheck(rng):
    gw.manual_seed(3)
    model = AR(2, num_series=2, dtype=np.float64)
    y = gw.tensor(rng.standard_normal((2, 6, 2)), requires_grad=True)
    assert gradcheck(lambda y, *p: model(y), [y, *model.parameters()])


def test_narx_regressors_match_data_helper_and_gradcheck(rng):
    gw.manual_seed(4)
    model = NARX(1, 1, input_delays=2, output_delays=3, hidden_sizes=(4,), dtype=np.float64)
    x, y = rng.standard_normal(10), rng.standard_normal(10)
    reg = model.regressors(gw.tensor(x[None, :, None]), gw.tensor(y[None, :, None]))
    feats, _ = narx_regressors(x, y, 2, 3)
    np.testing.assert_allclose(reg.array[0], feats)
    xt = gw.tensor(rng.standard_normal((2, 6, 1)), requires_grad=True)
    yt = gw.tensor(rng.standard_normal((2, 6, 1)), requires_grad=True)
    assert gradcheck(lambda x, y, *p: model(x, y), [xt, yt, *model.parameters()])
    assert gradcheck(lambda x, y, *p: model.simulate(x, y[:, :3]), [xt, yt, *model.parameters()])


def test_closed_loop_is_open_loop_on_its_own_predictions(rng):
    gw.manual_seed(5)
    model = NARX(2, 1, input_delays=1, output_delays=2, dtype=np.float64)
    x = gw.tensor(rng.standard_normal((3, 9, 2)))
    y0 = rng.standard_normal((3, 2, 1))
    sim = model.simulate(x, gw.tensor(y0))
    assert sim.shape == (3, 7, 1)
    y_full = gw.tensor(np.concatenate([y0, sim.array], axis=1))
    np.testing.assert_allclose(model(x, y_full).array, sim.array, atol=1e-12)


def test_narx_learns_a_nonlinear_system_open_loop_and_runs_closed_loop():
    rng = np.random.default_rng(6)
    T = 400
    x = rng.uniform(-1, 1, T)
    y = np.zeros(T)
    for t in range(2, T):  # a nonlinear plant with exogenous input
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + np.tanh(x[t] + 0.5 * x[t - 1])
    gw.manual_seed(0)
    model = NARX(1, 1, input_delays=1, output_delays=2, hidden_sizes=(16,), dtype=np.float64)
    opt = gw.optim.Adam(model.parameters(), lr=0.02)
    xt, yt = gw.tensor(x[None, :300, None]), gw.tensor(y[None, :300, None])
    for _ in range(300):
        opt.zero_grad()
        loss = ((model(xt, yt) - yt[:, 2:]) ** 2).mean()
        loss.backward()
        opt.step()
    sim = model.simulate(gw.tensor(x[None, 300:, None]), gw.tensor(y[None, 300:302, None]))
    nrmse = np.sqrt(np.mean((sim.array[0, :, 0] - y[302:]) ** 2) / np.var(y[302:]))
    assert nrmse < 0.1, nrmse


def test_tdnn_ar_narx_errors():
    with pytest.raises(ValueError, match="context must be an int ≥ 0 or one per layer"):
        TDNN(2, hidden_sizes=(3, 3), context=(1,))
    with pytest.raises(ValueError, match=r"expected input \(N, 2, L\)"):
        TDNN(2)(gw.zeros(1, 3, 5))
    with pytest.raises(ValueError, match="shorter than a layer's context"):
        TDNN(2, hidden_sizes=(3,), context=4, causal=False)(gw.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"AR\(order=3\): expected input"):
        AR(3)(gw.zeros(1, 3, 1))
    with pytest.raises(ValueError, match="input_delays must be an int ≥ 0"):
        NARX(1, 1, input_delays=-1)
    model = NARX(1, 1, input_delays=1, output_delays=2)
    with pytest.raises(ValueError, match="expected y_init"):
        model.simulate(gw.zeros(1, 5, 1), gw.zeros(1, 1, 1))
    with pytest.raises(ValueError, match="aligned with x"):
        model(gw.zeros(1, 5, 1), gw.zeros(1, 4, 1))
