"""smooth_l1_loss, huber_loss, kl_div, margin_ranking_loss, gaussian_nll_loss,
cosine_similarity, pairwise_distance, triplet_margin_loss, normalize, pixel_shuffle:
float64 parity with PyTorch (forward and every gradient), finite-difference checks, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwise as gw
from gradwise.core.gradcheck import gradcheck
from gradwise.functional import loss_extra as L

RNG = np.random.default_rng(0)


def _arrays(*shapes, positive=()):
    out = []
    for i, s in enumerate(shapes):
        a = RNG.standard_normal(s)
        out.append(np.abs(a) + 0.1 if i in positive else a)
    return out


def _parity(gw_fn, t_fn, arrays, grad_of=None, rtol=1e-10, atol=1e-12):
    """Compare forward and the gradients of the inputs in ``grad_of`` (default all)."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    xs = [gw.Tensor(a.copy(), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    y, ty = gw_fn(*xs), t_fn(*ts)
    assert y.shape == tuple(ty.shape) and y.dtype == np.float64
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=rtol, atol=atol)
    w = RNG.standard_normal(y.shape)
    (y * gw.Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    for i in grad_of:
        assert xs[i].grad.dtype == np.float64
        np.testing.assert_allclose(xs[i].grad.array, ts[i].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
    gradcheck(gw_fn, [gw.Tensor(a.copy(), requires_grad=i in grad_of)
                      for i, a in enumerate(arrays)])


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.3, 0.0])
def test_smooth_l1_loss_matches_torch(reduction, beta):
    _parity(lambda x, y: L.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
            lambda x, y: TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
            _arrays((4, 5), (4, 5)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.4])
def test_huber_loss_matches_torch(reduction, delta):
    _parity(lambda x, y: L.huber_loss(x, y, reduction=reduction, delta=delta),
            lambda x, y: TF.huber_loss(x, y, reduction=reduction, delta=delta),
            _arrays((3, 6), (3, 6)))


@pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logits, t = _arrays((4, 5), (4, 5))
    x = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    t = np.log(np.exp(t) / np.exp(t).sum(1, keepdims=True))
    if not log_target:
        t = np.exp(t)
    _parity(lambda a, b: L.kl_div(a, b, reduction=reduction, log_target=log_target),
            lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
            [x, t])


def test_kl_div_zero_target_contributes_zero():
    x = gw.Tensor(np.log(np.full((1, 3), 1 / 3)))
    t = gw.Tensor(np.array([[0.0, 0.5, 0.5]]))
    got = L.kl_div(x, t, reduction="sum").array
    expected = TF.kl_div(torch.tensor(x.array), torch.tensor(t.array), reduction="sum").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_matches_torch(reduction, margin):
    x1, x2 = _arrays((7,), (7,))
    y = np.where(RNG.standard_normal(7) > 0, 1.0, -1.0)
    _parity(lambda a, b, t: L.margin_ranking_loss(a, b, t, margin=margin, reduction=reduction),
            lambda a, b, t: TF.margin_ranking_loss(a, b, t, margin=margin, reduction=reduction),
            [x1, x2, y], grad_of=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(reduction, var_shape, full):
    _parity(lambda x, y, v: L.gaussian_nll_loss(x, y, v, full=full, reduction=reduction),
            lambda x, y, v: TF.gaussian_nll_loss(x, y, v, full=full, reduction=reduction),
            _arrays((4, 3), (4, 3), var_shape, positive=(2,)))


def test_gaussian_nll_loss_float_var_matches_torch():
    x, y = _arrays((5,), (5,))
    got = L.gaussian_nll_loss(gw.Tensor(x), gw.Tensor(y), 0.7).array
    np.testing.assert_allclose(got, TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), 0.7),
                               rtol=1e-12)


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_matches_torch(dim):
    _parity(lambda a, b: L.cosine_similarity(a, b, dim=dim),
            lambda a, b: TF.cosine_similarity(a, b, dim=dim), _arrays((4, 5), (4, 5)))


def test_cosine_similarity_broadcasts_like_torch():
    _parity(lambda a, b: L.cosine_similarity(a, b, dim=-1),
            lambda a, b: TF.cosine_similarity(a, b, dim=-1), _arrays((4, 1, 5), (3, 5)))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    _parity(lambda a, b: L.pairwise_distance(a, b, p=p, keepdim=keepdim),
            lambda a, b: TF.pairwise_distance(a, b, p=p, keepdim=keepdim),
            _arrays((6, 4), (6, 4)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss_matches_torch(reduction, swap):
    _parity(lambda a, b, c: L.triplet_margin_loss(a, b, c, margin=2.0, swap=swap,
                                                  reduction=reduction),
            lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin=2.0, swap=swap,
                                                   reduction=reduction),
            _arrays((8, 3), (8, 3), (8, 3)))


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_torch(p, dim):
    _parity(lambda x: L.normalize(x, p=p, dim=dim), lambda x: TF.normalize(x, p=p, dim=dim),
            _arrays((3, 4, 2)))


@pytest.mark.parametrize("shape, r", [((2, 8, 3, 2), 2), ((9, 2, 3), 3), ((1, 2, 4, 1, 1), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    _parity(lambda x: L.pixel_shuffle(x, r), lambda x: TF.pixel_shuffle(x, r), _arrays(shape),
            rtol=0, atol=0)


def test_losses_run_in_float32_with_float32_gradients():
    x = gw.Tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = gw.Tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    v = gw.Tensor(np.ones((3, 1), np.float32), requires_grad=True)
    for loss in (L.smooth_l1_loss(x, y), L.huber_loss(x, y), L.gaussian_nll_loss(x, y, v),
                 L.kl_div(x, y.abs(), reduction="batchmean"),
                 L.cosine_similarity(x, y).sum(), L.normalize(x).sum()):
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: L.smooth_l1_loss(x, x[:2]), ValueError, "smooth_l1_loss: target shape"),
    (lambda x: L.smooth_l1_loss(x, x, beta=-1.0), ValueError, "beta must be >= 0"),
    (lambda x: L.huber_loss(x, x, delta=0.0), ValueError, "delta must be > 0"),
    (lambda x: L.kl_div(x, x, reduction="avg"), ValueError, "not a valid value"),
    (lambda x: L.gaussian_nll_loss(x, x, -x.abs()), ValueError, "negative entries"),
    (lambda x: L.gaussian_nll_loss(x, x, x[:, :2].abs()), ValueError, "incorrect size"),
    (lambda x: L.margin_ranking_loss(x, x, x[0]), ValueError, "of one shape"),
    (lambda x: L.triplet_margin_loss(x, x, x, margin=0.0), ValueError, "margin must be > 0"),
    (lambda x: L.pixel_shuffle(x, 2), ValueError, "pixel_shuffle: expected input with at least"),
    (lambda x: L.pixel_shuffle(x.reshape(1, 3, 4), 2), ValueError, "divisible"),
])
def test_extra_losses_reject_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(gw.Tensor(RNG.standard_normal((3, 4))))
