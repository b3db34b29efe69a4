import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_items_and_batch_gather_agree(rng):
    x = rng.standard_normal((7, 3)).astype(np.float32)
    y = np.arange(7)
    ds = TensorDataset(gw.tensor(x), y)
    assert len(ds) == 7
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.array, x[4])
    assert yi.item() == 4
    bx, by = ds.get_batch([5, 0, 2])
    np.testing.assert_array_equal(bx.array, x[[5, 0, 2]])
    np.testing.assert_array_equal(by.array, [5, 0, 2])


def test_tensor_dataset_rejects_mismatched_first_dimension():
    with pytest.raises(ValueError, match=r"same first dimension.*\(3,\).*\(4,\)"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_subset_and_concat_index_like_torch():
    a, b = list(range(5)), list(range(100, 103))

    class ListDataset(Dataset):
        def __init__(self, items):
            self.items = items

        def __getitem__(self, i):
            return self.items[i]

        def __len__(self):
            return len(self.items)

    ours = ConcatDataset([ListDataset(a), ListDataset(b)])
    theirs = torch.utils.data.ConcatDataset([a, b])
    assert len(ours) == len(theirs) == 8
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    with pytest.raises(IndexError, match="out of range"):
        ours[8]
    sub = Subset(ListDataset(a), [4, 1])
    assert len(sub) == 2 and sub[0] == 4 and sub[1] == 1
    assert (ListDataset(a) + ListDataset(b))[5] == 100


@pytest.mark.parametrize("n, fractions", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]),
                                          (100, [0.8, 0.1, 0.1])])
def test_random_split_fraction_lengths_match_torch(n, fractions):
    ours = [len(s) for s in random_split(list(range(n)), fractions, generator=0)]
    theirs = [len(s) for s in torch.utils.data.random_split(list(range(n)), fractions)]
    assert ours == theirs


def test_random_split_is_a_seeded_partition():
    parts = random_split(list(range(20)), [5, 15], generator=3)
    again = random_split(list(range(20)), [5, 15], generator=np.random.default_rng(3))
    assert [p.indices for p in parts] == [p.indices for p in again]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(20))
    gw.manual_seed(1)
    first = random_split(list(range(20)), [10, 10])[0].indices
    gw.manual_seed(1)
    assert random_split(list(range(20)), [10, 10])[0].indices == first


def test_random_split_rejects_lengths_that_do_not_sum_to_the_dataset():
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*\(10\)"):
        random_split(list(range(10)), [4, 5])
    with pytest.raises(TypeError, match="generator"):
        random_split(list(range(10)), [5, 5], generator="seed")
