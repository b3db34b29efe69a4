"""SubsetRandomSampler and WeightedRandomSampler: orders, probabilities, seeding, errors."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.data import DataLoader, SubsetRandomSampler, TensorDataset, WeightedRandomSampler


def test_subset_random_sampler_permutes_exactly_the_given_indices():
    s = SubsetRandomSampler([3, 5, 7, 9], generator=0)
    epoch1, epoch2 = list(s), list(s)
    assert sorted(epoch1) == sorted(epoch2) == [3, 5, 7, 9] and len(s) == 4
    assert epoch1 != epoch2 or epoch1 != list(SubsetRandomSampler([3, 5, 7, 9], generator=1))


def test_subset_random_sampler_is_reproducible_under_manual_seed():
    gw.manual_seed(3)
    a = list(SubsetRandomSampler(list(range(20))))
    gw.manual_seed(3)
    assert list(SubsetRandomSampler(list(range(20)))) == a


def test_weighted_random_sampler_draws_in_proportion_to_the_weights():
    s = WeightedRandomSampler([1.0, 3.0, 0.0], num_samples=8000, generator=0)
    counts = np.bincount(list(s), minlength=3)
    assert counts[2] == 0 and abs(counts[1] / counts.sum() - 0.75) < 0.02


def test_weighted_random_sampler_without_replacement_draws_distinct_indices():
    s = WeightedRandomSampler([1, 1, 1, 1, 0], num_samples=4, replacement=False, generator=0)
    assert sorted(s) == [0, 1, 2, 3]


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": [1.0, -1.0], "num_samples": 2}, "non-negative"),
    ({"weights": [1.0, 1.0], "num_samples": 0}, "num_samples should be a positive integer"),
    ({"weights": [1.0, 0.0], "num_samples": 2, "replacement": False}, "exceeds the 1 non-zero"),
])
def test_weighted_random_sampler_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WeightedRandomSampler(**kwargs)


def test_samplers_drive_a_dataloader_and_accept_a_torch_style_generator():
    ds = TensorDataset(gw.arange(10))
    loader = DataLoader(ds, batch_size=5, sampler=SubsetRandomSampler(range(0, 10, 2),
                                                                      generator=gw.Generator().manual_seed(1)))
    (batch,) = next(iter(loader))
    assert sorted(batch.tolist()) == [0, 2, 4, 6, 8]
