"""DataLoader(num_workers=N): real worker processes, PyTorch's order and per-worker seeds."""
import os

import numpy as np
import pytest

import gradwise as gw
from gradwise.data import DataLoader, Dataset, TensorDataset, get_worker_info


class WhoLoads(Dataset):
    """Each sample records its index, the worker id, the process id and a library-RNG draw."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return gw.tensor([float(i), float(info.id), float(os.getpid()), float(gw.rand(1))],
                         dtype=gw.float64)


def test_workers_yield_the_same_batches_in_the_same_order_as_one_process():
    ds = TensorDataset(gw.arange(50), gw.randn(50, 3))
    gw.manual_seed(0)
    single = [(x.tolist(), y.tolist()) for x, y in DataLoader(ds, batch_size=4, shuffle=True)]
    gw.manual_seed(0)
    multi = [(x.tolist(), y.tolist()) for x, y in DataLoader(ds, batch_size=4, shuffle=True,
                                                            num_workers=3, prefetch_factor=1)]
    assert multi == single


def test_batch_k_is_loaded_by_worker_k_mod_n_in_other_processes():
    batches = list(DataLoader(WhoLoads(), batch_size=2, num_workers=3))
    assert [b[:, 0].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert [int(b[0, 1]) for b in batches] == [0, 1, 2, 0, 1, 2]
    pids = {int(b[0, 2]) for b in batches}
    assert len(pids) == 3 and os.getpid() not in pids
    assert get_worker_info() is None


def test_worker_seeds_differ_between_workers_and_repeat_under_manual_seed():
    def draws():
        gw.manual_seed(7)
        return np.concatenate([b[:, 3].array for b in DataLoader(WhoLoads(), batch_size=2,
                                                                 num_workers=2)])
    first, second = draws(), draws()
    np.testing.assert_array_equal(first, second)
    assert first[0] != first[2]  # worker 0's and worker 1's first draws


def test_worker_init_fn_runs_in_each_worker():
    seen = DataLoader(WhoLoads(), batch_size=3, num_workers=2,
                      worker_init_fn=lambda wid: np.random.seed(100 + wid))
    assert len(list(seen)) == 4


class Broken(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 3:
            raise KeyError("sample 3 is missing")
        return gw.tensor([float(i)])


def test_an_error_in_a_worker_is_raised_in_the_main_process_with_its_message():
    with pytest.raises(RuntimeError, match=r"DataLoader worker 1 failed on batch 1: KeyError.*"
                                           r"sample 3 is missing"):
        list(DataLoader(Broken(), batch_size=2, num_workers=2))


def test_breaking_out_of_an_epoch_stops_the_workers():
    loader = DataLoader(WhoLoads(), batch_size=1, num_workers=2)
    it = iter(loader)
    next(it)
    it.close()
    assert len(list(loader)) == 12


@pytest.mark.parametrize("kwargs, error", [
    ({"num_workers": -1}, ValueError), ({"prefetch_factor": 2}, ValueError),
    ({"num_workers": 1, "persistent_workers": True}, NotImplementedError),
    ({"num_workers": 1, "multiprocessing_context": "spawn"}, ValueError),
])
def test_bad_worker_arguments_are_refused(kwargs, error):
    with pytest.raises(error, match="DataLoader"):
        DataLoader(WhoLoads(), **kwargs)


def test_pin_memory_is_accepted_and_changes_nothing():
    ds = TensorDataset(gw.arange(4))
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=2, pin_memory=True)] == [[0, 1], [2, 3]]
