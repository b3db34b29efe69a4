"""BatchNorm/LayerNorm/LocalResponseNorm/Dropout2d layers against PyTorch: state_dict keys,
running statistics over several training steps, eval mode, momentum=None, errors."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn


def _check_grads(ours, theirs, gx, tx):
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-9)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, tp.grad.numpy(), atol=1e-9, err_msg=n)


@pytest.mark.parametrize("name,shape,kw", [
    ("BatchNorm2d", (4, 3, 5, 5), dict(momentum=0.2)),
    ("BatchNorm2d", (4, 3, 5, 5), dict(momentum=None)),  # cumulative average
    ("BatchNorm1d", (6, 3), dict(eps=1e-3)),
    ("BatchNorm1d", (4, 3, 7), dict(affine=False)),
    ("BatchNorm2d", (3, 3, 2, 4), dict(bias=False)),
], ids=str)
def test_batch_norm_running_stats_after_several_steps_equal_torchs(name, shape, kw):
    ours = getattr(nn, name)(3, dtype=np.float64, **kw)
    theirs = getattr(torch.nn, name)(3, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        gy, ty = ours(gx), theirs(tx)
        np.testing.assert_allclose(gy.array, ty.detach().numpy(), atol=1e-10)
        v = rng.standard_normal(shape)
        gy.backward(v)
        (ty * torch.tensor(v)).sum().backward()
        _check_grads(ours, theirs, gx, tx)
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].array, v.numpy(), atol=1e-12, err_msg=k)
    assert int(ours.num_batches_tracked.array) == 4
    assert ours.num_batches_tracked.array.dtype == np.int64
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = ours(gx), theirs(tx)
    np.testing.assert_allclose(gy.array, ty.detach().numpy(), atol=1e-10)
    gy.backward(np.ones(shape))
    ty.sum().backward()
    _check_grads(ours, theirs, gx, tx)
    assert int(ours.num_batches_tracked.array) == 4  # eval leaves the buffers alone


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval_like_torch():
    ours = nn.BatchNorm2d(3, track_running_stats=False, dtype=np.float64).eval()
    theirs = torch.nn.BatchNorm2d(3, track_running_stats=False, dtype=torch.float64).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2))
    np.testing.assert_allclose(ours(gw.tensor(x)).array,
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-10)


def test_batch_norm_loads_a_torch_state_dict_strictly():
    theirs = torch.nn.BatchNorm2d(4)
    theirs(torch.randn(8, 4, 3, 3))
    ours = nn.BatchNorm2d(4)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    np.testing.assert_array_equal(ours.running_var.array, theirs.running_var.numpy())
    assert int(ours.num_batches_tracked.array) == 1


def test_layer_norm_lrn_and_dropout2d_layers_match_torch():
    rng = np.random.default_rng(2)
    for ours, theirs, shape in [
        (nn.LayerNorm((4, 5), dtype=np.float64), torch.nn.LayerNorm((4, 5), dtype=torch.float64),
         (2, 3, 4, 5)),
        (nn.LayerNorm(5, elementwise_affine=False),
         torch.nn.LayerNorm(5, elementwise_affine=False), (3, 5)),
        (nn.LocalResponseNorm(3, alpha=0.01, beta=0.5, k=2.0),
         torch.nn.LocalResponseNorm(3, alpha=0.01, beta=0.5, k=2.0), (2, 6, 3, 3)),
    ]:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        x = rng.standard_normal(shape)
        gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        gy, ty = ours(gx), theirs(tx)
        np.testing.assert_allclose(gy.array, ty.detach().numpy(), atol=1e-6)
        gy.backward(np.ones(shape))
        ty.sum().backward()
        np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-6)
    drop = nn.Dropout2d(0.3)
    assert repr(drop) == repr(torch.nn.Dropout2d(0.3))
    x = np.ones((4, 5, 2, 2))
    gw.manual_seed(0)
    y = drop(gw.tensor(x)).array
    assert np.all((y == 0).all((2, 3)) | np.isclose(y, 1 / 0.7).all((2, 3)))
    np.testing.assert_array_equal(drop.eval()(gw.tensor(x)).array, x)


def test_norm_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3, .*expected input \(N, 3, H, W\), got "
                                         r"\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(gw.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3, .*expected input \(N, 3\) or "
                                         r"\(N, 3, L\), got \(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(gw.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*more than 1 value per channel"):
        nn.BatchNorm1d(3)(gw.zeros(1, 3))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*expected input \(\*, 4\), got "
                                         r"\(2, 5\)"):
        nn.LayerNorm(4)(gw.zeros(2, 5))
    with pytest.raises(ValueError, match="BatchNorm2d: momentum must be in"):
        nn.BatchNorm2d(3, momentum=2.0)
