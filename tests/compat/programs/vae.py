"""pytorch/examples' VAE, shrunk: fc1-relu-(fc21, fc22), reparameterize, fc3-relu-fc4-sigmoid;
loss = BCE(sum) + KLD. The reparameterisation noise comes from a NumPy generator (so both
libraries draw the same ε); random images in [0, 1] stand in for MNIST."""
import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, noise):
        std = torch.exp(0.5 * logvar)
        eps = torch.from_numpy(noise).to(std.dtype)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, noise):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, noise)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def build():
    torch.manual_seed(1)
    return (VAE(),)


def train(modules, steps):
    (model,) = modules
    rng = np.random.default_rng(0)
    images = torch.tensor(rng.random((steps * 16, 1, 8, 8)), dtype=torch.float32)
    train_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images), batch_size=16, shuffle=False)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for batch_idx, (data,) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, rng.standard_normal((len(data), 4)))
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        losses.append(loss.item() / len(data))
        optimizer.step()
    return losses
