"""Seed example: an LSTM learns the adding problem (Hochreiter & Schmidhuber 1997) at T = 100.

Each step carries (value ~ U(0, 1), marker ∈ {0, 1}); exactly two markers are set, one in each
half of the sequence, and the target is the sum of the two marked values. Predicting the mean
(1.0) gives MSE ≈ 0.1767 (Le, Jaitly & Hinton 2015); a tanh-RNN stays there at T = 100, while
an LSTM drops well below it. To keep the test quick the LSTM is small and uses the "chrono"
initialisation of Tallec & Ollivier (2018): forget-gate bias log U(1, T − 1) and input-gate bias
its negative, which lets the cells hold a value over ~T steps from the start.
"""
import numpy as np

import gradwise as gw
from gradwise import nn
from gradwise.functional import mse_loss
from gradwise.optim import Adam

T = 100
BASELINE_MSE = 0.1767


def adding_batch(rng, batch, T):
    values = rng.random((T, batch))
    markers = np.zeros((T, batch))
    cols = np.arange(batch)
    markers[rng.integers(0, T // 2, batch), cols] = 1
    markers[rng.integers(T // 2, T, batch), cols] = 1
    x = np.stack([values, markers], axis=-1).astype(np.float32)  # (T, batch, 2)
    y = (values * markers).sum(axis=0).astype(np.float32)  # (batch,)
    return x, y


def test_lstm_learns_the_adding_problem_at_T100():
    gw.manual_seed(0)
    rng = np.random.default_rng(0)
    H = 32
    lstm, head = nn.LSTM(2, H), nn.Linear(H, 1)
    with gw.no_grad():  # chrono init: gates i, f, g, o
        b_f = np.log(rng.uniform(1, T - 1, H)).astype(np.float32)
        lstm.bias_ih_l0.array[:2 * H] = 0
        lstm.bias_hh_l0.array[H:2 * H] = b_f
        lstm.bias_hh_l0.array[:H] = -b_f
    opt = Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.02)
    x_test, y_test = adding_batch(np.random.default_rng(1), 256, T)

    def test_mse():
        with gw.no_grad():
            _, (h_n, _) = lstm(gw.tensor(x_test))
            pred = head(h_n[0]).reshape(-1).array
        return float(((pred - y_test) ** 2).mean())

    assert test_mse() > BASELINE_MSE  # untrained: worse than predicting the mean
    mse = np.inf
    for step in range(1, 801):
        x, y = adding_batch(rng, 64, T)
        _, (h_n, _) = lstm(gw.tensor(x))
        loss = mse_loss(head(h_n[0]).reshape(-1), gw.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 25 == 0:
            mse = test_mse()
            if mse < 0.02:
                break
    assert mse < 0.05, f"LSTM did not learn the adding problem: test MSE {mse:.4f} after {step}"
