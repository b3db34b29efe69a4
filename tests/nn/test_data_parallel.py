"""nn.DataParallel on the CPU: transparent forward/backward, PyTorch's state_dict keys, errors."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn


def _pair():
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                  torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in t_model.state_dict().items()})
    return model, t_model


def test_data_parallel_state_dict_keys_match_torch():
    model, t_model = _pair()
    dp, t_dp = nn.DataParallel(model), torch.nn.DataParallel(t_model)
    assert list(dp.state_dict()) == list(t_dp.state_dict())
    assert all(k.startswith("module.") for k in dp.state_dict())
    assert [n for n, _ in dp.named_parameters()] == [n for n, _ in t_dp.named_parameters()]
    assert dp.module is model


def test_data_parallel_forward_and_gradients_equal_the_wrapped_module():
    model, t_model = _pair()
    dp, t_dp = nn.DataParallel(model), torch.nn.DataParallel(t_model)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    y = dp(gw.Tensor(x))
    t_y = t_dp(torch.from_numpy(x))
    assert y.shape == tuple(t_y.shape) and y.dtype == np.float32
    np.testing.assert_allclose(y.array, t_y.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (t_y * t_y).sum().backward()
    for (name, p), (t_name, tp) in zip(dp.named_parameters(), t_dp.named_parameters()):
        assert name == t_name
        np.testing.assert_allclose(p.grad.array, tp.grad.numpy(), rtol=1e-4, atol=1e-5)
    dp.eval()
    assert not model.training and not model[1].training


def test_data_parallel_loads_a_torch_data_parallel_checkpoint():
    model, _ = _pair()
    torch.manual_seed(1)
    other = torch.nn.DataParallel(torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)))
    dp = nn.DataParallel(model)
    dp.load_state_dict({k: v.detach().numpy().copy() for k, v in other.state_dict().items()})
    np.testing.assert_array_equal(model[0].weight.array, other.module[0].weight.detach().numpy())


def test_data_parallel_passes_keyword_arguments_through():
    class AddBias(nn.Module):
        def forward(self, x, bias=0.0):
            return x + bias

    dp = nn.DataParallel(AddBias())
    out = dp(gw.Tensor(np.zeros(2, np.float32)), bias=3.0)
    np.testing.assert_array_equal(out.array, [3.0, 3.0])


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(module=torch.nn.Linear(2, 2)), TypeError, "DataParallel: expected a Module"),
    (dict(device_ids=[0, 1]), ValueError, "device_ids None or"),
    (dict(output_device=0), ValueError, "output_device None"),
    (dict(dim="batch"), TypeError, "int dim"),
])
def test_data_parallel_rejects_gpu_arguments_and_non_modules(kwargs, exc, match):
    kwargs.setdefault("module", nn.Linear(2, 2))
    with pytest.raises(exc, match=match):
        nn.DataParallel(**kwargs)
