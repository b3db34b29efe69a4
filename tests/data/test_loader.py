import json

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import default_collate as torch_collate

import gradwise as gw
from gradwise.data import (
    BatchSampler, BucketBySequenceLengthSampler, DataLoader, Dataset, RandomSampler, SequentialSampler,
    TensorDataset, default_collate, pad_collate,
)


class ItemDataset(Dataset):
    """Items (x_i, i) fetched one by one (no get_batch fast path)."""

    def __init__(self, n):
        self.x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)

    def __getitem__(self, i):
        return self.x[i], i

    def __len__(self):
        return len(self.x)


def _to_numpy(obj):
    if isinstance(obj, (gw.Tensor, torch.Tensor)):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: _to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(v) for v in obj) if not hasattr(obj, "_fields") else tuple(map(_to_numpy, obj))
    return obj


def _assert_same(ours, theirs):
    assert type(ours) is type(theirs) or (hasattr(ours, "_fields") and hasattr(theirs, "_fields"))
    if isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys()
        for k in ours:
            _assert_same(ours[k], theirs[k])
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    else:
        assert ours == theirs


def test_default_collate_matches_torch_on_nested_samples(rng):
    batch = [
        {"img": rng.standard_normal((2, 3)).astype(np.float32), "label": i, "w": 0.5 * i, "flag": i % 2 == 0,
         "name": f"s{i}", "pair": (np.int64(i), [1.0, 2.0])}
        for i in range(4)
    ]
    _assert_same(_to_numpy(default_collate(batch)), _to_numpy(torch_collate(batch)))


def test_default_collate_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"same shape.*\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("fast", [False, True])
def test_sequential_loader_batches_match_torch(drop_last, fast):
    items = ItemDataset(10)
    ds = TensorDataset(items.x, np.arange(10)) if fast else items
    ours = [[t.numpy() for t in b] for b in DataLoader(ds, batch_size=4, drop_last=drop_last)]
    theirs = [[t.numpy() for t in b] for b in torch.utils.data.DataLoader(
        [(items.x[i], i) for i in range(10)], batch_size=4, drop_last=drop_last)]
    assert len(ours) == len(theirs) == len(DataLoader(ds, batch_size=4, drop_last=drop_last))
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(ox, tx)
        np.testing.assert_array_equal(oy, ty)
        assert ox.dtype == tx.dtype and oy.dtype == ty.dtype


def _epoch_labels(loader):
    return [b[1].tolist() for b in loader]


def test_shuffled_loader_is_deterministic_under_a_seed_and_reshuffles_each_epoch():
    ds = ItemDataset(23)
    runs = []
    for make in (lambda: DataLoader(ds, batch_size=5, shuffle=True, generator=7),
                 lambda: DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(7))):
        loader = make()
        runs.append([_epoch_labels(loader) for _ in range(3)])
    assert runs[0] == runs[1]
    epochs = runs[0]
    assert epochs[0] != epochs[1] != epochs[2]
    for epoch in epochs:
        assert sorted(sum(epoch, [])) == list(range(23))
    gw.manual_seed(11)  # generator=None: the library RNG decides
    a = [_epoch_labels(DataLoader(ds, batch_size=5, shuffle=True)) for _ in range(2)]
    gw.manual_seed(11)
    b = [_epoch_labels(DataLoader(ds, batch_size=5, shuffle=True)) for _ in range(2)]
    assert a == b and a[0] != a[1]


def _run(loader, epochs, stop_at=None, consumer=None):
    """Labels of every batch over ``epochs``; with stop_at=(epoch, k) return the state after k
    batches of that epoch instead. ``consumer``, a generator shared with the loader, is drawn
    from after every batch (as dropout would)."""
    seen = []
    for epoch in range(loader.epoch, epochs):
        for k, batch in enumerate(loader, 1):
            seen.append(batch[1].tolist())
            if consumer is not None:
                consumer.random(3)
            if stop_at == (epoch, k):
                return seen, json.loads(json.dumps(loader.state_dict()))
    return seen, None


@pytest.mark.parametrize("generator", [None, 5, "shared"])
@pytest.mark.parametrize("stop_at", [(0, 1), (1, 3), (1, 5), (2, 4)])
def test_loader_resumes_mid_epoch_exactly(generator, stop_at):
    ds = ItemDataset(21)

    def make():
        gen = np.random.default_rng(5) if generator == "shared" else generator
        return DataLoader(ds, batch_size=4, shuffle=True, generator=gen), gen

    shared = generator == "shared"
    gw.manual_seed(0)
    loader, gen = make()
    full, _ = _run(loader, 3, consumer=gen if shared else None)

    gw.manual_seed(0)
    loader, gen = make()
    first, state = _run(loader, 3, stop_at=stop_at, consumer=gen if shared else None)
    rng_state = gw.get_rng_state()
    gen_state = gen.bit_generator.state if generator == "shared" else None
    assert state["epoch"] == stop_at[0] and state["batch_index"] == stop_at[1]

    gw.manual_seed(123)  # a fresh process: different library RNG until restored
    resumed, gen2 = make()
    if generator == "shared":
        gen2.bit_generator.state = gen_state
    gw.set_rng_state(rng_state)
    resumed.load_state_dict(state)
    rest, _ = _run(resumed, 3, consumer=gen2 if shared else None)
    assert first + rest == full


def test_loader_state_between_epochs_and_sequential_loader():
    ds = ItemDataset(9)
    loader = DataLoader(ds, batch_size=2)
    list(loader)
    state = loader.state_dict()
    assert state == {"epoch": 1, "batch_index": 0, "num_batches": 5, "sampler": None}
    it = iter(loader)
    next(it), next(it)
    again = DataLoader(ds, batch_size=2)
    again.load_state_dict(loader.state_dict())
    assert _epoch_labels(again) == [[4, 5], [6, 7], [8]] and again.epoch == 2


def test_bucket_sampler_resumes_mid_epoch_exactly():
    lengths = np.random.default_rng(0).integers(1, 30, size=50)
    make = lambda: BucketBySequenceLengthSampler(lengths, batch_size=4, bucket_size=12, generator=9)  # noqa: E731
    ds = ItemDataset(50)
    full = [_epoch_labels(DataLoader(ds, batch_sampler=s)) for s in [make()]][0]
    loader = DataLoader(ds, batch_sampler=make())
    it = iter(loader)
    head = [next(it)[1].tolist() for _ in range(6)]
    resumed = DataLoader(ds, batch_sampler=make())
    resumed.load_state_dict(json.loads(json.dumps(loader.state_dict())))
    assert head + _epoch_labels(resumed) == full


def test_load_state_dict_rejects_a_different_dataset_size():
    state = DataLoader(ItemDataset(10), batch_size=2).state_dict()
    with pytest.raises(ValueError, match="had 5 batches per epoch, this one has 3"):
        DataLoader(ItemDataset(6), batch_size=2).load_state_dict(state)
    with pytest.raises(ValueError, match="expected keys"):
        DataLoader(ItemDataset(6), batch_size=2).load_state_dict({"epoch": 0})


def test_loader_rejects_conflicting_options():
    ds = ItemDataset(4)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(SequentialSampler(ds), 2))
    with pytest.raises(ValueError, match="positive integer, got 0"):
        DataLoader(ds, batch_size=0)


def test_batch_sampler_matches_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = list(BatchSampler(SequentialSampler(range(n)), bs, drop))
        theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop))
        assert ours == theirs
        assert len(BatchSampler(SequentialSampler(range(n)), bs, drop)) == len(theirs)


def test_random_sampler_with_replacement_and_num_samples():
    draws = list(RandomSampler(range(5), replacement=True, num_samples=12, generator=0))
    assert len(draws) == 12 and set(draws) <= set(range(5))
    several = list(RandomSampler(range(5), num_samples=12, generator=0))
    assert sorted(several[:5]) == sorted(several[5:10]) == list(range(5)) and len(several) == 12


def test_bucket_sampler_covers_every_index_once_with_homogeneous_lengths():
    lengths = np.random.default_rng(1).integers(1, 100, size=1000)
    sampler = BucketBySequenceLengthSampler(lengths, batch_size=20, generator=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 50
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_spread = np.mean([np.ptp(lengths[b]) for b in np.split(np.random.default_rng(2).permutation(1000), 50)])
    assert spread < 0.1 * random_spread
    assert list(sampler) != batches  # reshuffled next epoch
    fixed = list(BucketBySequenceLengthSampler(lengths, batch_size=20, shuffle=False))
    assert [lengths[b].max() for b in fixed] == sorted(lengths[b].max() for b in fixed)
    with pytest.raises(ValueError, match="multiple of batch_size=20"):
        BucketBySequenceLengthSampler(lengths, batch_size=20, bucket_size=30)


def test_pad_collate_matches_torch_pad_sequence():
    seqs = [[3, 1, 4, 1], [5], [9, 2, 6]]
    for batch_first in (True, False):
        padded, lengths, mask = pad_collate(seqs, pad_value=-1, batch_first=batch_first)
        ref = pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first, padding_value=-1)
        np.testing.assert_array_equal(padded.numpy(), ref.numpy())
        assert padded.dtype == np.int64
        np.testing.assert_array_equal(lengths.numpy(), [4, 1, 3])
        expected_mask = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 1, 0]], dtype=bool)
        np.testing.assert_array_equal(mask.numpy(), expected_mask if batch_first else expected_mask.T)


def test_pad_collate_pads_every_sequence_field_and_stacks_scalars():
    batch = [([1, 2, 3], [7, 8, 9], 1), ([4], [6], 0)]
    words, lengths, mask, tags, labels = pad_collate(batch, pad_value=(0, -100, 0))
    np.testing.assert_array_equal(words.numpy(), [[1, 2, 3], [4, 0, 0]])
    np.testing.assert_array_equal(tags.numpy(), [[7, 8, 9], [6, -100, -100]])
    np.testing.assert_array_equal(labels.numpy(), [1, 0])
    feats = [np.ones((2, 3), np.float32), np.ones((4, 3), np.float32)]
    padded, lengths, mask = pad_collate(feats)
    assert padded.shape == (2, 4, 3) and padded.dtype == np.float32 and padded.numpy()[0, 2:].sum() == 0
    with pytest.raises(ValueError, match="2 pad values for samples of 3 fields"):
        pad_collate(batch, pad_value=(0, 0))
    with pytest.raises(RuntimeError, match="trailing shapes"):
        pad_collate([np.ones((2, 3)), np.ones((2, 4))])


def test_bucketed_padded_loader_end_to_end():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 50, size=rng.integers(1, 12)).tolist() for _ in range(40)]

    class Seqs(Dataset):
        def __getitem__(self, i):
            return seqs[i], len(seqs[i]) % 2

        def __len__(self):
            return len(seqs)

    sampler = BucketBySequenceLengthSampler([len(s) for s in seqs], batch_size=8, generator=0)
    total = 0
    for padded, lengths, mask, parity in DataLoader(Seqs(), batch_sampler=sampler, collate_fn=pad_collate):
        assert padded.shape == mask.shape == (len(lengths), lengths.numpy().max())
        np.testing.assert_array_equal(mask.numpy().sum(1), lengths.numpy())
        np.testing.assert_array_equal(parity.numpy(), lengths.numpy() % 2)
        total += len(lengths)
    assert total == 40


def test_fast_gather_through_subsets_equals_item_by_item_collate():
    from gradwise.data import random_split

    items = ItemDataset(30)
    train, _ = random_split(TensorDataset(items.x, np.arange(30)), [0.7, 0.3], generator=0)
    fast = list(DataLoader(train, batch_size=8, shuffle=True, generator=1))
    slow = list(DataLoader(train, batch_size=8, shuffle=True, generator=1, collate_fn=default_collate))
    assert len(fast) == len(slow) == 3
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())
        assert fy.dtype == sy.dtype == np.int64
