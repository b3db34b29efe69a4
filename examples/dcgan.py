"""DCGAN, after pytorch/examples' dcgan/main.py, on 16x16 synthetic images.

Generator: ConvTranspose2d-BatchNorm2d-ReLU(True) blocks ending in Tanh; discriminator:
Conv2d-BatchNorm2d-LeakyReLU(0.2, inplace=True) blocks ending in Sigmoid; ``weights_init``
with ``m.weight.data.normal_(0.0, 0.02)``; BCELoss with ``label.fill_``; two Adam optimizers
with betas (0.5, 0.999). ``weights_init`` draws from the library's own generator, so after it
the weights are redrawn from the same distributions with NumPy (``numpy_weights_init``) and the
noise ``z`` comes from NumPy: every library that runs this file then starts and samples equal.

    python examples/dcgan.py --steps 20
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

nz, ngf, ndf, nc = 8, 8, 8, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


def numpy_weights_init(model, rng):
    """weights_init's distributions, drawn by NumPy (the same numbers under any library)."""
    for m in model.modules():
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            w = rng.normal(0.0, 0.02, tuple(m.weight.shape))
            m.weight.data.copy_(torch.tensor(w, dtype=torch.float32))
        elif classname.find("BatchNorm") != -1:
            w = rng.normal(1.0, 0.02, tuple(m.weight.shape))
            m.weight.data.copy_(torch.tensor(w, dtype=torch.float32))
            m.bias.data.fill_(0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 16 x 16
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            # input is (nc) x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


def synthetic_images(n, seed):
    """``n`` images (n, 1, 16, 16) in [-1, 1]: bright bars at random rows and columns."""
    rng = np.random.default_rng(seed)
    images = -np.ones((n, 1, 16, 16), dtype=np.float32)
    rows, cols = rng.integers(0, 16, n), rng.integers(0, 16, n)
    images[np.arange(n), 0, rows, :] = 1.0
    images[np.arange(n), 0, :, cols] = 1.0
    return images + 0.1 * rng.standard_normal(images.shape).astype(np.float32)


def main(steps=20, batch_size=8, lr=2e-4, beta1=0.5, seed=999):
    torch.manual_seed(seed)
    device = torch.device("cpu")
    rng = np.random.default_rng(seed)
    dataloader = DataLoader(TensorDataset(torch.from_numpy(synthetic_images(64, 0))),
                            batch_size=batch_size, shuffle=False)
    netG = Generator().to(device)
    netG.apply(weights_init)
    numpy_weights_init(netG, rng)
    netD = Discriminator().to(device)
    netD.apply(weights_init)
    numpy_weights_init(netD, rng)

    criterion = nn.BCELoss()
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    losses, step = [], 0
    while step < steps:
        for i, (real_cpu,) in enumerate(dataloader):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            netD.zero_grad()
            real_cpu = real_cpu.to(device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = torch.from_numpy(rng.standard_normal((batch_size, nz, 1, 1)).astype(np.float32))
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            step += 1
            losses += [errD.item(), errG.item()]
            print(f"step {step} loss_D {errD.item():.9g} loss_G {errG.item():.9g} "
                  f"D(x) {D_x:.4f} D(G(z)) {D_G_z1:.4f} / {D_G_z2:.4f}")
            if step == steps:
                break
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="DCGAN on synthetic 16x16 images")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()
    main(steps=args.steps, batch_size=args.batch_size, lr=args.lr)
