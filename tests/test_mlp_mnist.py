"""An MLP trained end to end on real MNIST digits through the whole stack
(data loader -> nn.Sequential -> cross_entropy -> backward -> Adam).

A broken backward cannot pass: chance is 10%, and the MLP must reach 90% on 2,000 held-out test
digits after three passes over 10,000 training digits (measured: 91.5%).
"""
import numpy as np

import gradwise as gw
from gradwise import nn
from gradwise.data import DataLoader, TensorDataset
from gradwise.data.datasets.mnist import load_mnist


def test_mlp_learns_mnist_digits(shared_data):
    gw.manual_seed(0)
    x_train, y_train = load_mnist("train", root=shared_data)
    x_test, y_test = load_mnist("test", root=shared_data)
    x_train = (x_train[:10000].reshape(-1, 784) / 255.0).astype(np.float32)
    x_test = (x_test[:2000].reshape(-1, 784) / 255.0).astype(np.float32)
    loader = DataLoader(TensorDataset(gw.tensor(x_train), gw.tensor(y_train[:10000])),
                        batch_size=64, shuffle=True, generator=0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = gw.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for epoch in range(3):
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    model.eval()
    with gw.no_grad():
        pred = model(gw.tensor(x_test)).argmax(1).array
    accuracy = (pred == y_test[:2000]).mean()
    print(f"MLP test accuracy {accuracy:.4f}")
    assert accuracy >= 0.90, f"test accuracy {accuracy:.3f}"
