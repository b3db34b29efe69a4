"""pytorch/examples' regression: fit a degree-4 polynomial with one Linear layer and the
hand-written update ``param.data.add_(-lr * param.grad)`` (then F.smooth_l1-free MSE)."""
import torch
import torch.nn.functional as F

POLY_DEGREE = 4


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


W_target = torch.tensor([[0.5], [-1.0], [0.3], [0.8]])
b_target = torch.tensor([0.7])


def f(x):
    return x.mm(W_target) + b_target.item()


def get_batch(step, batch_size=32):
    g = torch.Generator().manual_seed(step)
    random = torch.linspace(-1, 1, batch_size) * ((step % 5) + 1) / 5.0
    x = make_features(random)
    y = f(x)
    return x, y


def build():
    torch.manual_seed(0)
    return (torch.nn.Linear(W_target.size(0), 1),)


def train(modules, steps):
    (fc,) = modules
    losses = []
    for batch_idx in range(steps):
        batch_x, batch_y = get_batch(batch_idx)
        fc.zero_grad()
        output = F.mse_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        losses.append(loss)
        if loss < 1e-3:
            break
    losses.append(fc.weight.view(-1).norm().item())
    return losses
