"""Seed 002, "Neural Networks Backpropagation: Example": one SGD step of ŷ = tanh(Wx) with
L = ½·Σ(y − ŷ)², reproduced through Linear(bias=False) + MSE(sum) + optim.SGD to 4 decimals."""
import numpy as np

import gradwise as gw
import gradwise.nn.functional as F
from gradwise import nn, optim


def test_seed_002_backprop_example_to_four_decimals():
    x = gw.tensor([[0.1, 0.3, 0.2]], dtype=np.float64)  # (1, 3): one sample
    y = gw.tensor([[-0.5, 0.5]], dtype=np.float64)
    layer = nn.Linear(3, 2, bias=False).double()
    layer.load_state_dict({"weight": np.array([[0.0, -0.1, 0.4], [0.3, -0.4, -0.2]])})
    opt = optim.SGD(layer.parameters(), lr=0.1)

    y_hat = layer(x).tanh()
    loss = 0.5 * F.mse_loss(y_hat, y, reduction="sum")  # L = ½ Σ (y − ŷ)²
    opt.zero_grad()
    loss.backward()

    # ŷ, dL/dW = (ŷ − y) ⊙ tanh'(Wx) xᵀ, and W' = W − 0.1·dL/dW, as on the slide
    np.testing.assert_array_equal(np.round(y_hat.array[0], 4), [0.0500, -0.1293])
    np.testing.assert_array_equal(np.round(layer.weight.grad.array, 4),
                                  [[0.0549, 0.1646, 0.1097], [-0.0619, -0.1856, -0.1238]])
    opt.step()
    np.testing.assert_array_equal(np.round(layer.weight.array, 4),
                                  [[-0.0055, -0.1165, 0.3890], [0.3062, -0.3814, -0.1876]])

    # the step lowers the loss on the same example
    new_loss = 0.5 * F.mse_loss(layer(x).tanh(), y, reduction="sum")
    assert new_loss.item() < loss.item()
