"""load_state_dict is all-or-nothing: a bad value under any key leaves every parameter as it was."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn


def _model():
    gw.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _snapshot(model):
    return {k: v.array.copy() for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.array, before[k], err_msg=k)


def test_load_state_dict_with_a_bad_dtype_under_a_later_key_changes_no_parameter():
    model = _model()
    before = _snapshot(model)
    sd = {k: np.zeros_like(v) for k, v in before.items()}
    sd["2.bias"] = np.array(["a", "b"])  # the last key cannot be cast to float32
    with pytest.raises(ValueError, match=r"dtype mismatch for 2.bias: expected numbers castable "
                                         r"to float32, got dtype <U1"):
        model.load_state_dict(sd)
    _assert_unchanged(model, before)


def test_load_state_dict_with_a_ragged_value_under_a_later_key_changes_no_parameter():
    model = _model()
    before = _snapshot(model)
    sd = {k: np.zeros_like(v) for k, v in before.items()}
    sd["2.weight"] = [[1.0, 2.0], [3.0]]
    with pytest.raises(ValueError, match="2.weight: cannot read the value as an array"):
        model.load_state_dict(sd)
    _assert_unchanged(model, before)


def test_load_state_dict_with_a_wrong_shape_under_a_later_key_changes_no_parameter():
    model = _model()
    before = _snapshot(model)
    sd = {k: np.zeros_like(v) for k, v in before.items()}
    sd["2.bias"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"size mismatch for 2.bias"):
        model.load_state_dict(sd)
    _assert_unchanged(model, before)


def test_load_state_dict_of_a_torch_state_dict_still_casts_and_loads():
    model = _model()
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    model.load_state_dict(t.state_dict())
    np.testing.assert_allclose(model[0].weight.array, t[0].weight.detach().numpy(), rtol=1e-6)
    assert model[0].weight.dtype == np.float32
