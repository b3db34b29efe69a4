"""adding task: the IRNN initialisation (Le, Jaitly & Hinton 2015) follows the run's seed."""
import numpy as np

import gradwise as gw
from gradwise.models.adding import AddingModel


def _irnn(seed):
    gw.manual_seed(seed)
    return AddingModel("irnn", 8).rnn


def test_irnn_input_weights_come_from_the_seeded_generator():
    a, b, again = _irnn(1), _irnn(2), _irnn(1)
    np.testing.assert_array_equal(a.weight_ih_l0.array, again.weight_ih_l0.array)
    assert not np.array_equal(a.weight_ih_l0.array, b.weight_ih_l0.array)
    assert 5e-4 < a.weight_ih_l0.array.std() < 2e-3          # N(0, 0.001)


def test_irnn_recurrence_starts_at_the_identity_with_zero_biases():
    rnn = _irnn(0)
    np.testing.assert_array_equal(rnn.weight_hh_l0.array, np.eye(8))
    assert not rnn.bias_ih_l0.array.any() and not rnn.bias_hh_l0.array.any()
    assert rnn.nonlinearity == "relu"
