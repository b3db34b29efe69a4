import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.nn.leaky import LeakyRNN, SkipRNN, multiscale_time_constants


def test_multiscale_time_constants_split_units_into_groups():
    np.testing.assert_array_equal(multiscale_time_constants(7, (1, 4, 16)),
                                  [1, 1, 1, 4, 4, 16, 16])
    with pytest.raises(ValueError, match="scales must be ≥ 1"):
        multiscale_time_constants(4, (0.5, 2))


def test_leaky_rnn_with_tau_one_is_torch_rnn(rng):
    gw.manual_seed(0)
    net = LeakyRNN(3, 4, time_constants=1.0, dtype=np.float64)
    ref = torch.nn.RNN(3, 4).double()
    ref.load_state_dict({k: torch.tensor(v.array) for k, v in net.named_parameters()})
    x, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((1, 2, 4))
    out, hn = net(gw.tensor(x), gw.tensor(h0))
    t_out, t_hn = ref(torch.tensor(x), torch.tensor(h0))
    np.testing.assert_allclose(out.array, t_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(hn.array, t_hn.detach().numpy(), atol=1e-12)


def test_leaky_rnn_matches_numpy_transcription_with_multiscale_units(rng):
    gw.manual_seed(1)
    tau = multiscale_time_constants(6, (1, 3, 10))
    net = LeakyRNN(2, 6, time_constants=tau, batch_first=True, dtype=np.float64)
    p = {n: q.array for n, q in net.named_parameters()}
    x = rng.standard_normal((3, 7, 2))
    out, hn = net(gw.tensor(x))
    h, a, ref = np.zeros((3, 6)), 1 / tau, []
    for t in range(7):
        cand = np.tanh(x[:, t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
                       + h @ p["weight_hh_l0"].T + p["bias_hh_l0"])
        h = (1 - a) * h + a * cand
        ref.append(h)
    np.testing.assert_allclose(out.array, np.stack(ref, 1), atol=1e-12)
    np.testing.assert_allclose(net.time_constants, tau)


def test_leaky_rnn_gradcheck(rng):
    gw.manual_seed(2)
    net = LeakyRNN(2, 3, time_constants=[1.0, 2.5, 6.0], dtype=np.float64)
    x = gw.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = gw.tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, h0, *p: net(x, h0), [x, h0, *net.parameters()])


def test_long_time_constants_keep_gradients_alive(rng):
    """‖∂h_T/∂x_1‖ over 40 steps: leaky units (τ = 10) lose far less than τ = 1."""
    x = rng.standard_normal((40, 1, 3))
    norms = []
    for tau in (1.0, 10.0):
        gw.manual_seed(3)
        net = LeakyRNN(3, 8, time_constants=tau, dtype=np.float64)
        for p in net.parameters():
            p.array *= 0.5
        xt = gw.tensor(x, requires_grad=True)
        net(xt)[1].sum().backward()
        norms.append(np.linalg.norm(xt.grad.array[0]))
    assert norms[1] > 1e3 * norms[0]


def test_skip_rnn_with_delay_one_is_torch_rnn(rng):
    gw.manual_seed(4)
    net = SkipRNN(3, 4, delays=(1,), dtype=np.float64)
    ref = torch.nn.RNN(3, 4).double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.tensor(net.weight_ih.array))
        ref.weight_hh_l0.copy_(torch.tensor(net.weight_hh_d1.array))
        ref.bias_ih_l0.copy_(torch.tensor(net.bias.array))
        ref.bias_hh_l0.zero_()
    x = rng.standard_normal((6, 2, 3))
    np.testing.assert_allclose(net(gw.tensor(x))[0].array,
                               ref(torch.tensor(x))[0].detach().numpy(), atol=1e-12)


def test_skip_rnn_matches_transcription_and_gradchecks(rng):
    gw.manual_seed(5)
    net = SkipRNN(2, 3, delays=(1, 3), dtype=np.float64)
    p = {n: q.array for n, q in net.named_parameters()}
    x, h0 = rng.standard_normal((7, 2, 2)), rng.standard_normal((1, 2, 3))
    hs = []
    for t in range(7):
        a = x[t] @ p["weight_ih"].T + p["bias"]
        for d in (1, 3):
            a = a + (hs[t - d] if t >= d else h0[0]) @ p[f"weight_hh_d{d}"].T
        hs.append(np.tanh(a))
    out, hn = net(gw.tensor(x), gw.tensor(h0))
    np.testing.assert_allclose(out.array, np.stack(hs), atol=1e-12)
    xs = gw.tensor(x[:5], requires_grad=True)
    h0t = gw.tensor(h0, requires_grad=True)
    assert gradcheck(lambda x, h0, *q: net(x, h0), [xs, h0t, *net.parameters()])


def test_skip_only_delays_split_time_into_independent_chains(rng):
    """delays=(2,): without the direct connection, odd and even steps never interact."""
    gw.manual_seed(6)
    net = SkipRNN(2, 3, delays=(2,), dtype=np.float64)
    x = gw.tensor(rng.standard_normal((6, 1, 2)), requires_grad=True)
    net(x)[0][5].sum().backward()  # step 5 (odd chain)
    g = np.abs(x.grad.array).sum(axis=(1, 2))
    assert np.all(g[[1, 3, 5]] > 0) and np.all(g[[0, 2, 4]] == 0)


def test_leaky_and_skip_errors():
    with pytest.raises(ValueError, match="time_constants must be ≥ 1"):
        LeakyRNN(2, 3, time_constants=0.5)
    with pytest.raises(ValueError, match=r"time_constants must be ≥ 1, a scalar or \(3,\)"):
        LeakyRNN(2, 3, time_constants=[1.0, 2.0])
    with pytest.raises(ValueError, match="delays must be distinct positive ints"):
        SkipRNN(2, 3, delays=(1, 1))
    with pytest.raises(ValueError, match=r"LeakyRNN\(.*\): expected h0 \(1, 2, 3\)"):
        LeakyRNN(2, 3)(gw.zeros(4, 2, 2), gw.zeros(2, 3))
    with pytest.raises(ValueError, match=r"SkipRNN\(.*\): expected input \(N, T, 2\)"):
        SkipRNN(2, 3, batch_first=True)(gw.zeros(4, 2))
