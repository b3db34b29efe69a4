"""Distributed communication over MPI with ``torch.distributed``'s API.

    mpiexec -n 2 python train.py          # every rank runs the script; ranks 0 and 1

    import gradwise.distributed as dist
    dist.init_process_group("mpi")         # optional under mpiexec: created on first use
    dist.all_reduce(t, op=dist.ReduceOp.AVG)

A core-level transport: it imports only ``gradwise.core``; ``nn.parallel`` and
``data.DistributedSampler`` build on it. Install: ``pip install 'gradwise[distributed]'``.
"""
from .collectives import (
    ReduceOp, Work, all_gather, all_gather_into_tensor, all_gather_object, all_reduce,
    broadcast, broadcast_object_list, gather_object, reduce, scatter_object_list,
)
from .process_group import (
    INSTALL_HINT, abort, barrier, communicator, default_threads_per_rank, destroy_process_group,
    get_rank, get_world_size, init_process_group, is_available, is_initialized,
    is_initialized_multi, is_main_process, launched_by_mpi, launcher_world_size, local_ranks, mpi,
)
