"""DistributedSampler gives exactly torch.utils.data.DistributedSampler's indices."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud
from hypothesis import given, settings
from hypothesis import strategies as st

from gradwise.data import DataLoader, DistributedSampler, TensorDataset
from gradwise.data.distributed import torch_randperm


@pytest.mark.parametrize("n, seed", [(1, 0), (2, 5), (1000, 3), (60000, 7)])
def test_torch_randperm_matches_torch(n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    np.testing.assert_array_equal(torch_randperm(n, seed), torch.randperm(n, generator=g).numpy())


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), world=st.integers(1, 6), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**31), epoch=st.integers(0, 5))
def test_indices_match_torch_on_every_rank(n, world, shuffle, drop_last, seed, epoch):
    for rank in range(world):
        ours = DistributedSampler(range(n), world, rank, shuffle, seed, drop_last)
        theirs = tud.DistributedSampler(range(n), world, rank, shuffle, seed, drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert len(ours) == len(theirs)
        assert list(ours) == list(theirs)


def test_ranks_cover_the_padded_order_in_global_batches():
    s = [DistributedSampler(range(10), 3, r, seed=1) for r in range(3)]
    order = s[0].epoch_order()
    assert len(order) == 12 and sorted(set(order.tolist())) == list(range(10))
    shards = [list(x) for x in s]
    # global batch k with b = 2 per rank is the block order[6k:6k+6]
    for k in range(2):
        block = sorted(i for sh in shards for i in sh[2 * k:2 * k + 2])
        assert block == sorted(order[6 * k:6 * k + 6].tolist())


def test_invalid_rank_raises_naming_the_interval():
    with pytest.raises(ValueError, match=r"interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_loader_with_sampler_resumes_the_epoch():
    ds = TensorDataset(np.arange(20.0))
    s = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    s.set_epoch(4)
    loader = DataLoader(ds, batch_size=3, sampler=s)
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    rest = [b[0].array.tolist() for b in it]
    s2 = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    loader2 = DataLoader(ds, batch_size=3, sampler=s2)
    loader2.load_state_dict(state)
    assert [b[0].array.tolist() for b in loader2] == rest
