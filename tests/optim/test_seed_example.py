"""Seed 002, "Neural Networks Backpropagation: Example": one SGD step on ŷ = tanh(W x).

x = [0.1, 0.3, 0.2]ᵀ, y = [−0.5, 0.5]ᵀ, W = [[0, −0.1, 0.4], [0.3, −0.4, −0.2]], L = ½‖y − ŷ‖²,
λ = 0.1. The slide prints ŷ, ∂L/∂W and the updated W to 4 decimals.
"""
import numpy as np

import gradwise as gw
from gradwise import nn, optim

X = np.array([0.1, 0.3, 0.2])
Y = np.array([-0.5, 0.5])
W = np.array([[0.0, -0.1, 0.4], [0.3, -0.4, -0.2]])
SLIDE_Y_HAT = np.array([0.0500, -0.1293])
SLIDE_GRAD = np.array([[0.0549, 0.1646, 0.1097], [-0.0619, -0.1856, -0.1238]])
SLIDE_W_NEW = np.array([[-0.0055, -0.1165, 0.3890], [0.3062, -0.3814, -0.1876]])


def test_seed_002_worked_example_linear_mse_sgd_reproduces_the_slide():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float64)
    layer.load_state_dict({"weight": W})
    opt = optim.SGD(layer.parameters(), lr=0.1)

    y_hat = gw.tanh(layer(gw.tensor(X)))  # ŷ = f(Wx)
    loss = 0.5 * nn.MSELoss(reduction="sum")(y_hat, gw.tensor(Y))  # L = ½ Σ (y − ŷ)²
    opt.zero_grad()
    loss.backward()

    np.testing.assert_array_equal(np.round(y_hat.detach().numpy(), 4), SLIDE_Y_HAT)
    np.testing.assert_array_equal(np.round(layer.weight.grad.numpy(), 4), SLIDE_GRAD)
    # the slide's formula: ∂L/∂W = (ŷ − y) ⊙ tanh'(Wx) xᵀ
    manual = np.outer((np.tanh(W @ X) - Y) * (1 - np.tanh(W @ X) ** 2), X)
    np.testing.assert_allclose(layer.weight.grad.numpy(), manual, rtol=1e-14)

    opt.step()  # W ← W − λ ∂L/∂W
    np.testing.assert_array_equal(np.round(layer.weight.detach().numpy(), 4), SLIDE_W_NEW)
