"""nn wrappers of functional.loss_extra: outputs and gradients equal PyTorch's modules'."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn

RNG = np.random.default_rng(0)
X, Y, Z = (RNG.standard_normal((4, 6)) for _ in range(3))
SIGN = np.where(RNG.standard_normal((4, 6)) > 0, 1.0, -1.0)

CASES = [
    ("SmoothL1Loss", dict(beta=0.5), (X, Y)),
    ("SmoothL1Loss", dict(reduction="sum"), (X, Y)),
    ("HuberLoss", dict(delta=0.7, reduction="none"), (X, Y)),
    ("KLDivLoss", dict(reduction="batchmean"), (X - 2.0, np.abs(Y))),
    ("KLDivLoss", dict(reduction="sum", log_target=True), (X, Y)),
    ("MarginRankingLoss", dict(margin=0.3), (X, Y, SIGN)),
    ("GaussianNLLLoss", dict(full=True), (X, Y, np.abs(Z) + 0.1)),
    ("GaussianNLLLoss", dict(reduction="none"), (X, Y, np.abs(Z[:, :1]) + 0.1)),
    ("TripletMarginLoss", dict(margin=2.0, swap=True), (X, Y, Z)),
    ("TripletMarginLoss", dict(p=1.0, reduction="none"), (X, Y, Z)),
    ("CosineSimilarity", dict(dim=0), (X, Y)),
    ("PairwiseDistance", dict(p=3.0, keepdim=True), (X, Y)),
    ("PixelShuffle", dict(upscale_factor=2), (RNG.standard_normal((2, 8, 3, 3)),)),
]


@pytest.mark.parametrize("name, kwargs, arrays", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_extra_loss_module_matches_torch(name, kwargs, arrays):
    mod, t_mod = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    xs = [gw.Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    if name == "MarginRankingLoss":  # the target is a constant in both libraries
        xs[2], ts[2] = gw.Tensor(arrays[2]), torch.tensor(arrays[2])
    y, ty = mod(*xs), t_mod(*ts)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    for x, t in zip(xs, ts):
        if t.grad is not None:
            np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make, match", [
    (lambda: nn.SmoothL1Loss(beta=-1.0), "SmoothL1Loss: beta"),
    (lambda: nn.HuberLoss(delta=0.0), "HuberLoss: delta"),
    (lambda: nn.KLDivLoss(reduction="avg"), "not a valid value"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), "TripletMarginLoss: margin"),
    (lambda: nn.PixelShuffle(0), "PixelShuffle: upscale_factor"),
])
def test_extra_loss_modules_check_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_extra_modules_repr_like_torch():
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity(dim=1, eps=1e-08)"
