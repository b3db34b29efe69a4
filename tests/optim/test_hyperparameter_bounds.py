"""The optimizers share one declarative hyper-parameter check (Optimizer._bounds)."""
import math

import pytest
import gradwise as gw
from gradwise import optim

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]


@pytest.mark.parametrize("name", NAMES)
def test_nan_learning_rate_is_refused_naming_the_optimizer(name):
    # stricter than PyTorch, whose SGD accepts lr=nan and then writes NaN into every weight
    with pytest.raises(ValueError, match=rf"{name}: invalid learning rate: nan \(expected lr >= 0"):
        getattr(optim, name)([gw.zeros(2, requires_grad=True)], lr=math.nan)


@pytest.mark.parametrize("name", NAMES)
def test_non_number_learning_rate_is_a_value_error_not_a_type_error(name):
    with pytest.raises(ValueError, match=f"{name}: invalid learning rate: 0.1"):
        getattr(optim, name)([gw.zeros(2, requires_grad=True)], lr="0.1")


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_declares_its_bounds_instead_of_its_own_checks(name):
    cls = getattr(optim, name)
    assert ("lr", 0.0, None, False) in cls._bounds
    assert "_check_hyperparameters" not in vars(cls) or name == "SGD"


def test_bad_value_in_a_later_group_names_the_bound():
    p, q = gw.zeros(2, requires_grad=True), gw.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"Adadelta: invalid rho value: 2 \(expected 0.0 <= rho <= 1.0\)"):
        optim.Adadelta([{"params": [p]}, {"params": [q], "rho": 2}])
