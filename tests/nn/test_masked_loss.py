"""Masked losses over padded batches: sequence_mask and masked_mean."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.nn.utils.rnn import masked_mean, sequence_mask


def test_sequence_mask_marks_valid_steps_in_both_layouts():
    m = sequence_mask([3, 1, 2])
    assert m.shape == (3, 3) and m.array[:, 0].tolist() == [True, True, True]
    assert m.array[:, 1].tolist() == [True, False, False]
    np.testing.assert_array_equal(sequence_mask([3, 1], max_len=4, batch_first=True).array,
                                  [[1, 1, 1, 0], [1, 0, 0, 0]])
    with pytest.raises(ValueError, match="exceeds max_len 2"):
        sequence_mask([3], max_len=2)


def test_masked_cross_entropy_equals_torch_ignore_index(rng):
    T, N, C = 5, 3, 7
    logits = rng.standard_normal((T, N, C))
    target = rng.integers(0, C, (T, N))
    lengths = [5, 2, 4]
    mask = sequence_mask(lengths)
    x = gw.tensor(logits, requires_grad=True)
    per_token = gw.nn.functional.cross_entropy(x.reshape(-1, C), gw.tensor(target.reshape(-1)),
                                               reduction="none").reshape(T, N)
    loss = masked_mean(per_token, mask)
    loss.backward()
    t_target = torch.tensor(np.where(mask.array, target, -100))
    tx = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(tx.reshape(-1, C), t_target.reshape(-1),
                                               ignore_index=-100)
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), atol=1e-12)
    assert np.all(x.grad.array[~mask.array] == 0)  # padded steps get no gradient
