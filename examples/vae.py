"""A variational autoencoder, after pytorch/examples' vae/main.py.

fc1-relu-(fc21, fc22) encoder, reparameterisation ``mu + eps * std``, fc3-relu-fc4-sigmoid
decoder; loss = binary_cross_entropy(recon, x, reduction='sum') + KL divergence; Adam. The data
are synthetic 28x28 "images" in [0, 1] (NumPy, fixed seed). The reparameterisation noise
``eps`` comes from a NumPy generator instead of ``torch.randn_like`` so that every library that
runs this file sees the same noise; the initial weights are drawn with NumPy and copied in.

    python examples/vae.py --steps 20
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, hidden=64, latent=8):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction + KL divergence, summed over elements and batch."""
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2), Kingma and Welling, appendix B
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def synthetic_images(n, seed):
    """``n`` blurry blobs (n, 1, 28, 28) in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    cy, cx = rng.uniform(6, 22, (2, n, 1, 1))
    r = rng.uniform(3, 7, (n, 1, 1))
    images = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r ** 2))
    return images[:, None].astype(np.float32)


def numpy_init_(model, seed):
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            m.weight.data.copy_(torch.tensor(rng.uniform(-bound, bound, (m.out_features, m.in_features)),
                                             dtype=torch.float32))
            m.bias.data.copy_(torch.tensor(rng.uniform(-bound, bound, m.out_features),
                                           dtype=torch.float32))


def main(steps=20, batch_size=16, lr=1e-3, seed=1):
    torch.manual_seed(seed)
    device = torch.device("cpu")
    data = torch.from_numpy(synthetic_images(128, seed=0))
    train_loader = DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=False)
    model = VAE().to(device)
    numpy_init_(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    noise = np.random.default_rng(seed + 1)
    model.train()
    losses = []
    while len(losses) < steps:
        for (x,) in train_loader:
            x = x.to(device)
            eps = torch.tensor(noise.standard_normal((x.size(0), 8)), dtype=torch.float32)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(x, eps)
            loss = loss_function(recon_batch, x, mu, logvar)
            loss.backward()
            optimizer.step()
            losses.append(loss.item() / len(x))
            print(f"step {len(losses)} loss {loss.item() / len(x):.9g}")
            if len(losses) == steps:
                break
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.tensor(noise.standard_normal((4, 8)), dtype=torch.float32))
        print(f"sample mean {sample.mean().item():.6f} shape {tuple(sample.view(4, 1, 28, 28).shape)}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="VAE on synthetic 28x28 images")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    main(steps=args.steps, batch_size=args.batch_size)
