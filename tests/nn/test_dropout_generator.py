"""Dropout draws its masks from a generator= when given one, never silently from the global RNG."""
import numpy as np
import pytest

import gradwise as gw
import gradwise.functional as F
from gradwise import nn


def _x(shape=(4, 6, 5)):
    return gw.tensor(np.ones(shape, np.float32))


def test_functional_dropout_generator_gives_the_same_mask_as_a_fresh_generator_of_that_seed():
    a = F.dropout(_x(), 0.5, generator=np.random.default_rng(3)).array
    b = F.dropout(_x(), 0.5, generator=np.random.default_rng(3)).array
    assert (a == 0).any() and (a != 0).any()
    np.testing.assert_array_equal(a, b)


def test_functional_dropout_generator_does_not_consume_the_library_rng():
    gw.manual_seed(0)
    before = gw.rand(3).array
    gw.manual_seed(0)
    F.dropout(_x(), 0.5, generator=np.random.default_rng(1))
    F.dropout2d(_x(), 0.5, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(gw.rand(3).array, before)


def test_functional_dropout_refuses_both_generator_and_rng():
    with pytest.raises(ValueError, match="dropout: pass generator= or rng=, not both"):
        F.dropout(_x(), 0.5, rng=np.random.default_rng(0), generator=np.random.default_rng(0))


def test_functional_dropout_refuses_a_generator_that_is_not_a_numpy_generator():
    with pytest.raises(TypeError, match="dropout: generator must be a numpy.random.Generator, got int"):
        F.dropout(_x(), 0.5, generator=7)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout2d])
def test_dropout_layer_with_generator_is_reproducible_and_leaves_the_library_rng_alone(layer):
    gw.manual_seed(0)
    expected_global = gw.rand(3).array
    gw.manual_seed(0)
    a = layer(0.5, generator=np.random.default_rng(5))(_x()).array
    b = layer(0.5, generator=np.random.default_rng(5))(_x()).array
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gw.rand(3).array, expected_global)


def test_dropout_layer_without_generator_still_follows_manual_seed():
    gw.manual_seed(4)
    a = nn.Dropout(0.5)(_x()).array
    gw.manual_seed(4)
    b = nn.Dropout(0.5)(_x()).array
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_rnn_inter_layer_dropout_uses_its_generator(cls):
    gw.manual_seed(0)
    rnn = cls(3, 4, num_layers=2, dropout=0.5)
    x = gw.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32))
    outs = []
    for _ in range(2):
        rnn.generator = np.random.default_rng(11)
        gw.manual_seed(100 + len(outs))  # a different library RNG state each time
        outs.append(rnn(x)[0].array)
    np.testing.assert_array_equal(outs[0], outs[1])
    rnn.generator = np.random.default_rng(12)
    assert not np.array_equal(rnn(x)[0].array, outs[0])  # the mask really comes from it


def test_rnn_generator_is_a_constructor_argument():
    g = np.random.default_rng(0)
    assert nn.LSTM(3, 4, num_layers=2, dropout=0.2, generator=g).generator is g
