"""A convolutional classifier on MNIST-shaped data, after pytorch/examples' mnist/main.py.

Conv2d-ReLU-Conv2d-ReLU-MaxPool-Dropout-Linear-ReLU-Linear with log_softmax and nll_loss,
Adadelta with StepLR, batches from torch.utils.data.DataLoader. The data are synthetic
1x28x28 "digits" (a fixed random template per class plus noise), drawn with NumPy from a
fixed seed, so nothing is downloaded. Initial weights are drawn with NumPy too and copied in
with ``p.data.copy_``, so every library that runs this file starts from the same weights.

    python examples/cnn_mnist.py --steps 20
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset


class SyntheticDigits(Dataset):
    """``n`` images (1, 28, 28) of ``classes`` classes: template[label] + 0.5 * noise."""

    def __init__(self, n, classes=10, seed=0):
        rng = np.random.default_rng(seed)
        templates = rng.standard_normal((classes, 1, 28, 28)).astype(np.float32)
        self.labels = rng.integers(0, classes, n)
        noise = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
        self.images = templates[self.labels] + 0.5 * noise

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.from_numpy(self.images[idx]), int(self.labels[idx])


class Net(nn.Module):
    def __init__(self, dropout=0.0):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.fc1 = nn.Linear(2304, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def numpy_init_(model, seed):
    """Every parameter drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) by NumPy."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in)
            for p in (m.weight, m.bias):
                values = rng.uniform(-bound, bound, tuple(p.shape))
                p.data.copy_(torch.tensor(values, dtype=torch.float32))


def train(model, device, train_loader, optimizer, steps):
    model.train()
    losses = []
    while len(losses) < steps:
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            print(f"step {len(losses)} loss {loss.item():.9g}")
            if len(losses) == steps:
                break
    return losses


def test(model, device, test_loader):
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"test loss {test_loss:.9g} accuracy {correct}/{len(test_loader.dataset)}")
    return test_loss


def main(steps=20, batch_size=8, lr=1.0, gamma=0.7, seed=1):
    torch.manual_seed(seed)
    device = torch.device("cpu")
    train_loader = DataLoader(SyntheticDigits(64, seed=0), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(SyntheticDigits(32, seed=1), batch_size=16)
    model = Net(dropout=0.0).to(device)
    numpy_init_(model, seed)
    optimizer = optim.Adadelta(model.parameters(), lr=lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    losses = train(model, device, train_loader, optimizer, steps)
    scheduler.step()
    losses.append(test(model, device, test_loader))
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="CNN on synthetic MNIST-shaped data")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1.0)
    args = parser.parse_args()
    main(steps=args.steps, batch_size=args.batch_size, lr=args.lr)
