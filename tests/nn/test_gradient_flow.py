import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.nn.gradient_flow import (
    gradient_flow, numerical_state_jacobian, rnn_step, unroll_rnn,
)
from gradwise.nn.mut import MUT


@pytest.mark.parametrize("cls,kw", [
    (gw.nn.RNN, {}), (gw.nn.RNN, dict(nonlinearity="relu", bias=False)), (gw.nn.LSTM, {}),
    (gw.nn.LSTM, dict(proj_size=2)), (gw.nn.GRU, {}), (gw.nn.GRU, dict(reset_after=False)),
])
def test_unroll_reproduces_the_fused_model(cls, kw, rng):
    gw.manual_seed(0)
    m = cls(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float64, **kw)
    x = gw.tensor(rng.standard_normal((2, 5, 3)))
    np.testing.assert_allclose(unroll_rnn(m, x)[0].array, m(x)[0].array, atol=1e-13)


def test_grad_norms_match_torch_cell_unroll(rng):
    gw.manual_seed(1)
    m = gw.nn.LSTM(3, 5, dtype=np.float64)
    x, y = rng.standard_normal((7, 2, 3)), rng.standard_normal((2, 5))
    h0, c0 = rng.standard_normal((1, 2, 5)), rng.standard_normal((1, 2, 5))
    r = gradient_flow(m, gw.tensor(x), lambda o: ((o[-1] - gw.tensor(y)) ** 2).sum(),
                      hx=(gw.tensor(h0), gw.tensor(c0)), jacobians=False)
    cell = torch.nn.LSTMCell(3, 5).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.tensor(getattr(m, name + "_l0").array))
    h, c, hs, cs = torch.tensor(h0[0]), torch.tensor(c0[0]), [], []
    for t in range(7):
        h, c = cell(torch.tensor(x[t]), (h, c))
        h.retain_grad(), c.retain_grad()
        hs.append(h), cs.append(c)
    ((h - torch.tensor(y)) ** 2).sum().backward()
    np.testing.assert_allclose(r.grad_norms[0], [v.grad.norm().item() for v in hs], rtol=1e-10)
    np.testing.assert_allclose(r.cell_grad_norms[0], [v.grad.norm().item() for v in cs],
                               rtol=1e-10)
    assert r.grad_norms.shape == (1, 7) and abs(r.loss - ((h - torch.tensor(y)) ** 2).sum().item()) < 1e-10


def _numeric_singular_values(m, x, h_prev, c_prev, state, w):
    weights = [None if p is None else gw.tensor(p.array) for p in w]
    H = h_prev.shape[1]

    def step(xb, sb):
        if m.mode != "LSTM":
            return rnn_step(m.mode, weights, gw.tensor(xb), gw.tensor(sb), None, m.reset_after)[0].array
        hh, cc = (sb, np.repeat(c_prev, 2 * H, 0)) if state == "h" else (sb[:, :H], sb[:, H:])
        h1, c1 = rnn_step("LSTM", weights, gw.tensor(xb), gw.tensor(hh), gw.tensor(cc))
        return h1.array if state == "h" else np.concatenate([h1.array, c1.array], 1)

    s = h_prev if state == "h" else np.concatenate([h_prev, c_prev], 1)
    return np.linalg.svd(numerical_state_jacobian(step, x, s), compute_uv=False)


@pytest.mark.parametrize("cls,kw,state", [
    (gw.nn.RNN, {}, "h"), (gw.nn.RNN, dict(nonlinearity="relu"), "h"),
    (gw.nn.LSTM, {}, "hc"), (gw.nn.LSTM, {}, "h"),
])
def test_analytic_jacobians_match_finite_differences(cls, kw, state, rng):
    gw.manual_seed(2)
    m = cls(3, 4, num_layers=2, bidirectional=True, dtype=np.float64, **kw)
    x = gw.tensor(rng.standard_normal((4, 2, 3)))
    r = gradient_flow(m, x, lambda o: o.sum(), lstm_state=state)
    out, inputs, hs, cs, init = unroll_rnn(m, x)
    for layer, direction, t, prev in [(0, 0, 2, 1), (1, 1, 1, 2), (1, 0, 0, None)]:
        k = 2 * layer + direction
        h_prev = hs[k][prev].array if prev is not None else np.zeros((2, 4))
        c_prev = (cs[k][prev].array if prev is not None else np.zeros((2, 4))) if cs else None
        ref = _numeric_singular_values(m, inputs[layer].array[t], h_prev, c_prev, state,
                                       m._weights(layer, direction))
        np.testing.assert_allclose(r.singular_values[k, t], ref, atol=1e-7)


def test_gru_jacobian_matches_torch_autograd_jacobian(rng):
    gw.manual_seed(3)
    m = gw.nn.GRU(3, 4, dtype=np.float64)
    x = rng.standard_normal((3, 2, 3))
    r = gradient_flow(m, gw.tensor(x), lambda o: o.sum())
    cell = torch.nn.GRUCell(3, 4).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.tensor(getattr(m, name + "_l0").array))
    h = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(3):
        for n in range(2):
            J = torch.autograd.functional.jacobian(
                lambda hn: cell(torch.tensor(x[t, n:n + 1]), hn[None])[0], h[n])
            np.testing.assert_allclose(r.singular_values[0, t, n],
                                       np.linalg.svd(J.numpy(), compute_uv=False), atol=1e-7)
        h = cell(torch.tensor(x[t]), h).detach()


def test_tanh_rnn_gradient_vanishes_while_lstm_keeps_it(rng):
    """‖∂L/∂h_t‖ for a last-step loss over 50 steps: a tanh RNN with small recurrent weights
    loses >20 orders of magnitude; an LSTM with forget bias 1 loses far fewer."""
    T, H = 50, 32
    x, y = gw.tensor(rng.standard_normal((T, 8, 4))), gw.tensor(rng.standard_normal((8, H)))
    loss = lambda o: ((o[-1] - y) ** 2).mean()  # noqa: E731
    gw.manual_seed(0)
    rnn = gw.nn.RNN(4, H, dtype=np.float64)
    rnn.weight_hh_l0.array *= 0.5
    lstm = gw.nn.LSTM(4, H, dtype=np.float64)
    lstm.bias_ih_l0.array[H:2 * H], lstm.bias_hh_l0.array[H:2 * H] = 1.0, 0.0  # forget bias 1
    r_rnn, r_lstm = gradient_flow(rnn, x, loss), gradient_flow(lstm, x, loss)
    assert r_rnn.decay() < 1e-20
    assert r_lstm.decay() > 1e10 * r_rnn.decay()
    assert np.all(np.diff(np.log(r_rnn.grad_norms[0])) > 0)  # monotone decay back in time
    # the RNN's Jacobians are contractions; the LSTM's cell path keeps σ_max near 1
    assert r_rnn.singular_values[0, :, :, 0].max() < 0.7
    assert r_lstm.singular_values[0, 1:, :, 0].mean() > 0.9


def test_mut_layer_is_inspected_through_its_cell(rng):
    gw.manual_seed(4)
    m = MUT(3, 3, variant=2)  # float32 cell: the Jacobian is still taken in float64
    x = gw.tensor(rng.standard_normal((6, 2, 3)).astype(np.float32))
    h0 = gw.tensor(rng.standard_normal((1, 2, 3)).astype(np.float32))
    r = gradient_flow(m, x, lambda o: o[-1].sum(), hx=h0)
    assert r.grad_norms.shape == (1, 6) and r.singular_values.shape == (1, 6, 2, 3)
    # step 0's Jacobian at h0, by autograd rows of the float64 cell
    cell = m.cell
    xs, hs = x.array.astype(np.float64)[0], h0.array[0].astype(np.float64)
    p64 = {n: gw.tensor(p.array.astype(np.float64)) for n, p in cell.named_parameters()}
    for n, p in p64.items():
        cell._parameters[n] = p
    rows = []
    for j in range(3):
        h = gw.tensor(hs, requires_grad=True)
        cell(gw.tensor(xs), h)[:, j].sum().backward()
        rows.append(h.grad.array)
    J = np.stack(rows, 1)  # (N, out, in)
    np.testing.assert_allclose(r.singular_values[0, 0], np.linalg.svd(J, compute_uv=False),
                               atol=1e-7)


def test_gradient_flow_errors():
    with pytest.raises(TypeError, match="supports RNN, LSTM, GRU and Recurrent"):
        gradient_flow(gw.nn.Linear(2, 2), gw.zeros(3, 1, 2), lambda o: o.sum())
    m = gw.nn.RNN(2, 3)
    with pytest.raises(ValueError, match="lstm_state must be"):
        gradient_flow(m, gw.zeros(3, 1, 2), lambda o: o.sum(), lstm_state="c")
    with pytest.raises(ValueError, match="scalar"):
        gradient_flow(m, gw.zeros(3, 1, 2), lambda o: o)
    with pytest.raises(ValueError, match=r"expected input \(T, N, 2\)"):
        gradient_flow(m, gw.zeros(3, 1, 4), lambda o: o.sum())


@pytest.mark.parametrize("cls,kw,state", [
    (gw.nn.LSTM, dict(proj_size=2), "hc"), (gw.nn.LSTM, dict(proj_size=2), "h"),
    (gw.nn.GRU, dict(reset_after=False), "h"),
])
def test_cell_jacobians_match_finite_differences_with_projection_and_reset_before(cls, kw, state,
                                                                                  rng):
    gw.manual_seed(5)
    m = cls(3, 4, bidirectional=True, dtype=np.float64, **kw)
    x = gw.tensor(rng.standard_normal((3, 2, 3)))
    r = gradient_flow(m, x, lambda o: o.sum(), lstm_state=state)
    out, inputs, hs, cs, init = unroll_rnn(m, x)
    for direction, t, prev in [(0, 1, 0), (1, 0, 1), (1, 2, None)]:
        h_prev = hs[direction][prev].array if prev is not None else init[direction][0].array
        c_prev = None
        if cs:
            c_prev = cs[direction][prev].array if prev is not None else init[direction][1].array
        ref = _numeric_singular_values(m, inputs[0].array[t], h_prev, c_prev, state,
                                       m._weights(0, direction))
        np.testing.assert_allclose(r.singular_values[direction, t], ref, atol=1e-7)


def test_cell_grad_norms_of_a_reverse_direction_match_torch(rng):
    gw.manual_seed(6)
    m = gw.nn.LSTM(3, 4, bidirectional=True, dtype=np.float64)
    x = rng.standard_normal((5, 2, 3))
    r = gradient_flow(m, gw.tensor(x), lambda o: (o[0] ** 2).sum(), jacobians=False)
    cell = torch.nn.LSTMCell(3, 4).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.tensor(getattr(m, name + "_l0_reverse").array))
    h, c = torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64)
    hs, cs = {}, {}
    for t in range(4, -1, -1):                   # the reverse direction reads t = T-1 .. 0
        h, c = cell(torch.tensor(x[t]), (h, c))
        h.retain_grad(), c.retain_grad()
        hs[t], cs[t] = h, c
    (hs[0] ** 2).sum().backward()                # o[0]'s reverse half is h_0 of this direction
    np.testing.assert_allclose(r.cell_grad_norms[1], [cs[t].grad.norm().item() for t in range(5)],
                               rtol=1e-10)
