"""The default process group: one MPI communicator (``MPI.COMM_WORLD``) that every rank joins.

MPI is the transport (mpi4py + an MPI such as the ``mpich`` wheel, whose ``mpiexec`` starts
the ranks); nothing here is home-made networking. mpi4py is imported only when a group is
created, so gradwise runs without it in one process.

Started by ``mpiexec`` (or Slurm's ``srun``), the group is created on first use; otherwise call
``init_process_group("mpi")`` (PyTorch's ``Default process group has not been initialized``
error otherwise).
"""
from __future__ import annotations

import os
import sys
import traceback

INSTALL_HINT = "pip install 'gradwise[distributed]'  (mpi4py and the mpich wheel)"

# environment variables that MPI launchers set in every rank they start
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS",
                       "SLURM_NTASKS")
_LAUNCHER_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


class _Group:
    comm = None  # the mpi4py communicator; None while no group exists
    MPI = None   # the mpi4py.MPI module
    previous_excepthook = None


_group = _Group()


def launched_by_mpi() -> bool:
    """Whether an MPI launcher (mpiexec, mpirun, srun) started this process."""
    return any(v in os.environ for v in _LAUNCHER_RANK_VARS)


def launcher_world_size() -> int:
    """The number of ranks the launcher started (1 when not launched by one); reads the
    environment only, so it works before a group exists."""
    if not launched_by_mpi():
        return 1
    for v in _LAUNCHER_SIZE_VARS:
        if v in os.environ:
            return int(os.environ[v])
    return 1


def local_ranks() -> int:
    """Ranks the launcher started on this node (1 when not launched by one)."""
    for v in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"):
        if v in os.environ and launched_by_mpi():
            return max(1, int(os.environ[v].split("(")[0]))
    return launcher_world_size()


def default_threads_per_rank() -> int:
    """BLAS threads for one rank: the node's cores shared by its ranks, at least 1."""
    return max(1, (os.cpu_count() or 1) // local_ranks())


def is_main_process() -> bool:
    """Whether this process is rank 0, or not part of a multi-rank job (prints, writes)."""
    return launcher_world_size() <= 1 and not is_initialized() or get_rank() == 0


def abort(code: int = 1) -> None:
    """End every rank of the job now (``MPI_Abort``), e.g. when one rank fails."""
    _comm().Abort(code)


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"gradwise.distributed needs mpi4py and an MPI library: "
                          f"{INSTALL_HINT}") from e
    return MPI


def init_process_group(backend: str = "mpi", init_method=None, world_size: int = -1,
                       rank: int = -1) -> None:
    """Join the default process group (PyTorch's signature; the ``mpi`` backend only).

    MPI fixes the world size and ranks: ``world_size``/``rank``, when given, must agree with
    the launcher's. With more than one rank an uncaught exception in any rank prints that
    rank's traceback and aborts the whole job (``MPI_Abort``), so no rank hangs in a
    collective waiting for a dead peer.

    Raises:
        ValueError: another backend, or world_size/rank disagree with MPI's.
        RuntimeError: the group exists already.
        ImportError: mpi4py is not installed (the message says how to install it).
    """
    if backend != "mpi":
        raise ValueError(f"init_process_group: backend must be 'mpi', got {backend!r}")
    if _group.comm is not None:
        raise RuntimeError("init_process_group: trying to initialize the default process group "
                           "twice")
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {name}={given}, but mpiexec started this "
                             f"process with {name}={actual}")
    _group.comm, _group.MPI = comm, MPI
    if comm.Get_size() > 1:
        _group.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _abort_on_exception(exc_type, exc, tb):
    """sys.excepthook in a multi-rank job: print this rank's error, then end every rank."""
    rank = _group.comm.Get_rank()
    msg = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[rank {rank}] {msg}[rank {rank}] aborting the MPI job\n")
    sys.stderr.flush()
    _group.comm.Abort(1)


def is_initialized_multi() -> bool:
    return _group.comm is not None and _group.comm.Get_size() > 1


def is_available() -> bool:
    """Whether mpi4py can be imported."""
    try:
        _import_mpi()
    except ImportError:
        return False
    return True


def is_initialized() -> bool:
    return _group.comm is not None


def _comm():
    """The group's communicator, creating the group when an MPI launcher started us."""
    if _group.comm is None:
        if not launched_by_mpi():
            raise RuntimeError("Default process group has not been initialized, please make "
                               "sure to call init_process_group (or start under mpiexec)")
        init_process_group("mpi")
    return _group.comm


def communicator():
    """The mpi4py communicator of the default group (``MPI.COMM_WORLD``)."""
    return _comm()


def mpi():
    """The mpi4py ``MPI`` module of the group (for ``MPI.IN_PLACE``, ops, requests)."""
    _comm()
    return _group.MPI


def get_rank() -> int:
    return _comm().Get_rank()


def get_world_size() -> int:
    return _comm().Get_size()


def barrier() -> None:
    """Block until every rank has called barrier."""
    _comm().Barrier()


def destroy_process_group() -> None:
    """Leave the group (MPI itself is finalised by mpi4py at exit)."""
    if _group.comm is None:
        raise RuntimeError("destroy_process_group: no process group has been initialized")
    if _group.previous_excepthook is not None:
        sys.excepthook = _group.previous_excepthook
    _group.comm = _group.MPI = _group.previous_excepthook = None
