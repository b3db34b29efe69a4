"""gradwise.distributed: process group and collectives, in this process and on 2 MPI ranks."""
import os
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py")

import gradwise as gw  # noqa: E402
import gradwise.distributed as dist  # noqa: E402
from mpi_launch import check, run_ranks  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def group():
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    yield


def test_single_process_group_has_rank_0_of_1():
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    dist.barrier()


def test_all_reduce_avg_on_one_rank_is_identity_and_bumps_version():
    t = gw.tensor(np.arange(3.0))
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_array_equal(t.array, np.arange(3.0))
    assert t._version == 1


def test_all_reduce_avg_of_integers_raises():
    with pytest.raises(TypeError, match="AVG needs a floating-point"):
        dist.all_reduce(np.arange(3), op=dist.ReduceOp.AVG)


def test_init_twice_and_wrong_backend_raise():
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")
    with pytest.raises(ValueError, match="backend must be 'mpi'"):
        dist.init_process_group("gloo")


def test_all_gather_checks_list_length():
    with pytest.raises(ValueError, match="world_size=1"):
        dist.all_gather([np.zeros(2), np.zeros(2)], np.zeros(2))


def test_collectives_match_numpy_on_two_ranks():
    out = check(run_ranks("collectives.py", n=2)).stdout
    assert "rank 0/2: collectives ok" in out and "rank 1/2: collectives ok" in out


def test_a_rank_that_raises_aborts_the_job_with_its_message():
    result = run_ranks("raise_on_rank.py", n=2, args=[1], timeout=60)
    assert result.returncode != 0
    assert "rank-specific failure: bad shard" in result.stderr
    assert "[rank 1]" in result.stderr


def test_a_rank_killed_by_sigkill_makes_mpiexec_exit_nonzero():
    result = run_ranks("killed_rank.py", n=2, timeout=60)  # a hang would raise TimeoutExpired
    assert result.returncode != 0


def test_without_mpi4py_init_names_the_install_command(monkeypatch):
    from gradwise.distributed import process_group

    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    monkeypatch.setattr(process_group._group, "comm", None)
    with pytest.raises(ImportError, match=r"pip install 'gradwise\[distributed\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_available()


def test_launcher_environment_sets_world_size_and_threads_per_rank(monkeypatch):
    for v in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MPI_LOCALNRANKS",
              "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE", "OMPI_COMM_WORLD_SIZE",
              "PMIX_SIZE", "SLURM_NTASKS"):
        monkeypatch.delenv(v, raising=False)
    assert not dist.launched_by_mpi() and dist.launcher_world_size() == 1
    monkeypatch.setenv("PMI_RANK", "3")
    monkeypatch.setenv("PMI_SIZE", "8")
    monkeypatch.setenv("MPI_LOCALNRANKS", "4")
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert dist.launched_by_mpi() and dist.launcher_world_size() == 8
    assert dist.default_threads_per_rank() == 4
    monkeypatch.setenv("MPI_LOCALNRANKS", "32")
    assert dist.default_threads_per_rank() == 1
