"""Embedding: lookup and scatter-add gradient parity with torch, padding_idx, from_pretrained,
max_norm, scale_grad_by_freq, init statistics, errors."""
import numpy as np
import pytest
import torch

import gradwise as gw
import gradwise.nn.functional as F
from gradwise import nn
from gradwise.autograd import gradcheck


def _parity(ours, theirs, idx, rtol=1e-12, atol=1e-12):
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    y = ours(gw.tensor(idx))
    ty = theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=rtol)
    v = np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype)
    y.backward(v)
    (ty * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.array, theirs.weight.grad.numpy(), rtol=rtol,
                               atol=atol)
    np.testing.assert_allclose(ours.weight.array, theirs.weight.detach().numpy(), rtol=rtol)


@pytest.mark.parametrize("idx_shape", [(7,), (3, 5), ()])
def test_embedding_matches_torch_with_repeated_indices(rng, idx_shape):
    idx = rng.integers(0, 6, idx_shape)
    _parity(nn.Embedding(6, 4).double(), torch.nn.Embedding(6, 4, dtype=torch.float64), idx)


def test_embedding_padding_idx_gets_no_gradient_like_torch(rng):
    idx = np.array([[0, 2, 0, 5], [5, 5, 1, 0]])
    for pad in (0, -1):
        _parity(nn.Embedding(6, 3, padding_idx=pad).double(),
                torch.nn.Embedding(6, 3, padding_idx=pad, dtype=torch.float64), idx)


def test_embedding_scale_grad_by_freq_matches_torch():
    idx = np.array([1, 1, 1, 2, 4, 2])
    _parity(nn.Embedding(5, 3, scale_grad_by_freq=True).double(),
            torch.nn.Embedding(5, 3, scale_grad_by_freq=True, dtype=torch.float64), idx)


def test_embedding_max_norm_renormalises_looked_up_rows_in_place_like_torch():
    w = np.arange(1.0, 19.0).reshape(6, 3)
    ours = nn.Embedding.from_pretrained(w.copy(), freeze=False, max_norm=5.0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w.copy()), freeze=False,
                                                max_norm=5.0)
    idx = np.array([0, 3, 3, 5])
    y, ty = ours(gw.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.weight.array, theirs.weight.detach().numpy(), rtol=1e-7)
    assert np.array_equal(ours.weight.array[1], w[1])  # untouched row keeps its norm


def test_embedding_float32_matches_torch(rng):
    idx = rng.integers(0, 50, (8, 12))
    _parity(nn.Embedding(50, 16), torch.nn.Embedding(50, 16), idx, rtol=1e-6, atol=1e-6)


def test_embedding_gradcheck(rng):
    w = gw.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = gw.tensor(np.array([[0, 4, 4], [2, 0, 1]]))
    # padding_idx and scale_grad_by_freq alter the true gradient by design: checked against
    # torch above, not by finite differences
    assert gradcheck(lambda a: F.embedding(idx, a), [w])


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    gw.manual_seed(0)
    e = nn.Embedding(1000, 64, padding_idx=3)
    assert e.weight.dtype == np.float32
    np.testing.assert_array_equal(e.weight.array[3], 0)
    rest = np.delete(e.weight.array, 3, axis=0)
    assert rest.mean() == pytest.approx(0, abs=0.01) and rest.std() == pytest.approx(1, abs=0.01)


def test_from_pretrained_shares_memory_and_freezes_by_default():
    w = np.random.default_rng(0).standard_normal((4, 2))
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and e.weight.array is w
    assert nn.Embedding.from_pretrained(gw.tensor(w), freeze=False).weight.requires_grad
    np.testing.assert_array_equal(e(gw.tensor([3, 0])).array, w[[3, 0]])
    with pytest.raises(ValueError, match="2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))


def test_embedding_errors_and_repr():
    e = nn.Embedding(5, 2, padding_idx=-2)
    assert e.padding_idx == 3
    assert repr(e) == repr(torch.nn.Embedding(5, 2, padding_idx=-2))
    assert repr(nn.Embedding(5, 2, max_norm=1.0)) == repr(torch.nn.Embedding(5, 2, max_norm=1.0))
    with pytest.raises(IndexError, match="index 5 is out of range for 5 embeddings"):
        e(gw.tensor([0, 5]))
    with pytest.raises(TypeError, match="integer"):
        e(gw.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.Embedding(-1, 2)


def test_embedding_state_dict_key_matches_torch():
    assert list(nn.Embedding(3, 2).state_dict()) == list(torch.nn.Embedding(3, 2).state_dict())
