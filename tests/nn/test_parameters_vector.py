"""nn.utils.parameters_to_vector / vector_to_parameters: equal to PyTorch's, differentiable,
round trip, errors."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn
from gradwise.nn.utils import parameters_to_vector, vector_to_parameters


def _models():
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in t_model.state_dict().items()})
    return model, t_model


def test_parameters_to_vector_matches_torch_and_backpropagates():
    model, t_model = _models()
    vec = parameters_to_vector(model.parameters())
    t_vec = torch.nn.utils.parameters_to_vector(t_model.parameters())
    assert vec.shape == tuple(t_vec.shape) and vec.dtype == np.float32
    np.testing.assert_array_equal(vec.array, t_vec.detach().numpy())
    w = np.arange(vec.shape[0], dtype=np.float32)
    (vec * gw.Tensor(w)).sum().backward()
    (t_vec * torch.from_numpy(w)).sum().backward()
    for p, tp in zip(model.parameters(), t_model.parameters()):
        np.testing.assert_array_equal(p.grad.array, tp.grad.numpy())


def test_vector_to_parameters_matches_torch_and_round_trips():
    model, t_model = _models()
    n = sum(p.numel() for p in model.parameters())
    values = np.random.default_rng(1).standard_normal(n + 3).astype(np.float32)  # extra ignored
    vector_to_parameters(gw.Tensor(values), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(values.copy()), t_model.parameters())
    for p, tp in zip(model.parameters(), t_model.parameters()):
        assert p.shape == tuple(tp.shape)
        np.testing.assert_array_equal(p.array, tp.detach().numpy())
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).array, values[:n])
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(model(gw.Tensor(x)).array,
                               t_model(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_vector_to_parameters_bumps_the_parameter_version():
    p = nn.Parameter(gw.Tensor(np.zeros((2, 2), np.float32)))
    before = p._version
    vector_to_parameters(gw.Tensor(np.ones(4, np.float32)), [p])
    assert p._version > before
    np.testing.assert_array_equal(p.array, np.ones((2, 2)))


@pytest.mark.parametrize("call, exc, match", [
    (lambda ps: vector_to_parameters(np.zeros(26), ps), TypeError, "expected vec to be a Tensor"),
    (lambda ps: vector_to_parameters(gw.Tensor(np.zeros((2, 13))), ps), ValueError, "1-D vec"),
    (lambda ps: vector_to_parameters(gw.Tensor(np.zeros(5)), ps), ValueError,
     "need 26 values, vec has 5"),
    (lambda ps: parameters_to_vector([]), ValueError, "at least one parameter"),
    (lambda ps: parameters_to_vector([np.zeros(3)]), TypeError, "expected Tensors"),
])
def test_parameter_vector_functions_reject_bad_input(call, exc, match):
    model, _ = _models()
    with pytest.raises(exc, match=match):
        call(list(model.parameters()))
