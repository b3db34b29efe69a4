"""Collectives over the default group, PyTorch's ``torch.distributed`` names and semantics.

Tensors and arrays go through mpi4py's buffer methods (``Allreduce``, ``Bcast``, ``Reduce``,
``Allgather``, ``Iallreduce``): no pickling, the ndarray memory is handed to MPI. A Tensor is
updated in place (its version counter is bumped, like any in-place edit). Python objects
(metadata: sizes, names, RNG states) use the pickling methods in the ``*_object`` functions.

    all_reduce(x, op):  x_r ← ⊕_{k<W} x_k on every rank r   (⊕: sum, product, max, min; AVG = sum/W)
    broadcast(x, src):  x_r ← x_src
    reduce(x, dst, op): x_dst ← ⊕_k x_k (other ranks unchanged)
    all_gather(out, x): out[k] ← x_k on every rank
"""
from __future__ import annotations

import enum

import numpy as np

from ..core.tensor import Tensor
from .process_group import _comm, mpi


class ReduceOp(enum.Enum):
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def _mpi_op(op):
    if not isinstance(op, ReduceOp):
        raise ValueError(f"expected a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got {op!r}")
    MPI = mpi()
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _array(x, caller):
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{caller}: expected a Tensor or np.ndarray, got {type(x).__name__}")


def _contiguous(a):
    """``a`` itself when MPI can write into it, else a contiguous copy (written back later)."""
    return a if a.flags.c_contiguous and a.flags.writeable else np.ascontiguousarray(a)


def _store(x, buf):
    """Finish an in-place collective: copy a staging buffer back and bump the version."""
    a = _array(x, "store")
    if buf is not a:
        a[...] = buf
    if isinstance(x, Tensor):
        x._counter.bump()


class Work:
    """A pending non-blocking collective (PyTorch's ``Work``): ``wait()`` completes it."""

    def __init__(self, request, finish):
        self._request, self._finish, self._done = request, finish, False

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self):
        self._done = True
        self._finish()


def _check_avg(a, op, caller):
    if op is ReduceOp.AVG and not np.issubdtype(a.dtype, np.inexact):
        raise TypeError(f"{caller}: ReduceOp.AVG needs a floating-point tensor, got {a.dtype}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across all ranks in place; every rank gets the result.

    Returns: None, or a :class:`Work` when ``async_op`` (one ``Iallreduce``).
    """
    a = _array(tensor, "all_reduce")
    _check_avg(a, op, "all_reduce")
    comm, mpi_op, buf = _comm(), _mpi_op(op), _contiguous(a)
    scale = 1.0 / comm.Get_size() if op is ReduceOp.AVG else None

    def finish():
        if scale is not None:
            np.multiply(buf, np.asarray(scale, buf.dtype), out=buf)
        _store(tensor, buf)

    if async_op:
        return Work(comm.Iallreduce(mpi().IN_PLACE, buf, op=mpi_op), finish)
    comm.Allreduce(mpi().IN_PLACE, buf, op=mpi_op)
    finish()
    return None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank (in place)."""
    a = _array(tensor, "broadcast")
    comm = _comm()
    _check_rank(src, comm, "broadcast", "src")
    buf = _contiguous(a)
    if async_op:
        return Work(comm.Ibcast(buf, root=src), lambda: _store(tensor, buf))
    comm.Bcast(buf, root=src)
    _store(tensor, buf)
    return None


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across ranks into rank ``dst``'s ``tensor``; other ranks keep theirs."""
    a = _array(tensor, "reduce")
    _check_avg(a, op, "reduce")
    comm = _comm()
    _check_rank(dst, comm, "reduce", "dst")
    send = np.ascontiguousarray(a)
    out = np.empty_like(send) if comm.Get_rank() == dst else None
    comm.Reduce(send, out, op=_mpi_op(op), root=dst)
    if out is not None:
        if op is ReduceOp.AVG:
            out *= np.asarray(1.0 / comm.Get_size(), out.dtype)
        _store(tensor, out)
    return None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[k]`` with rank k's ``tensor`` on every rank (one ``Allgather``)."""
    a = _array(tensor, "all_gather")
    comm = _comm()
    world = comm.Get_size()
    if len(tensor_list) != world:
        raise ValueError(f"all_gather: tensor_list must have world_size={world} entries, got "
                         f"{len(tensor_list)}")
    for k, t in enumerate(tensor_list):
        out = _array(t, "all_gather")
        if out.shape != a.shape or out.dtype != a.dtype:
            raise ValueError(f"all_gather: tensor_list[{k}] is {out.dtype}{list(out.shape)}, "
                             f"expected {a.dtype}{list(a.shape)} like the input")
    recv = np.empty((world,) + a.shape, a.dtype)  # (W, *shape)
    comm.Allgather(np.ascontiguousarray(a), recv)
    for t, part in zip(tensor_list, recv):
        _store(t, part)
    return None


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank k's ``input_tensor`` into ``output_tensor[k·n:(k+1)·n]`` (n = len(input))."""
    a = np.ascontiguousarray(_array(input_tensor, "all_gather_into_tensor"))
    out = _array(output_tensor, "all_gather_into_tensor")
    comm = _comm()
    expected = (a.shape[0] * comm.Get_size(),) + a.shape[1:] if a.ndim else (comm.Get_size(),)
    if out.shape != expected or out.dtype != a.dtype:
        raise ValueError(f"all_gather_into_tensor: output must be {a.dtype}{list(expected)}, "
                         f"got {out.dtype}{list(out.shape)}")
    buf = _contiguous(out)
    comm.Allgather(a, buf)
    _store(output_tensor, buf)
    return None


def _check_rank(r, comm, caller, name):
    if not 0 <= r < comm.Get_size():
        raise ValueError(f"{caller}: {name} must be a rank in [0, {comm.Get_size()}), got {r}")


# -- Python objects (pickled; for metadata, never for gradients) -------------------------------

def _check_root_list(comm, caller, role, root, name, objects):
    """``root`` (the ``role`` rank: dst or src) is a rank, and there ``objects`` (the list
    argument ``name``) has one entry per rank; the other ranks may pass anything."""
    _check_rank(root, comm, caller, role)
    if comm.Get_rank() == root and (objects is None or len(objects) != comm.Get_size()):
        raise ValueError(f"{caller}: rank {root} must pass {name} with "
                         f"world_size={comm.Get_size()} entries")


def all_gather_object(object_list, obj, group=None):
    """``object_list[k]`` ← rank k's ``obj`` on every rank."""
    comm = _comm()
    if len(object_list) != comm.Get_size():
        raise ValueError(f"all_gather_object: object_list must have world_size="
                         f"{comm.Get_size()} entries, got {len(object_list)}")
    object_list[:] = comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    """On rank ``dst``, ``object_gather_list[k]`` ← rank k's ``obj``; other ranks pass None."""
    comm = _comm()
    _check_root_list(comm, "gather_object", "dst", dst, "object_gather_list", object_gather_list)
    gathered = comm.gather(obj, root=dst)
    if comm.Get_rank() == dst:
        object_gather_list[:] = gathered


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=0,
                        group=None):
    """``scatter_object_output_list[0]`` ← rank ``src``'s ``scatter_object_input_list[r]``."""
    comm = _comm()
    _check_root_list(comm, "scatter_object_list", "src", src, "scatter_object_input_list",
                     scatter_object_input_list)
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError("scatter_object_list: scatter_object_output_list must be a non-empty "
                         "list (its first entry receives the object)")
    scatter_object_output_list[0] = comm.scatter(
        scatter_object_input_list if comm.Get_rank() == src else None, root=src)


def broadcast_object_list(object_list, src=0, group=None):
    """``object_list[:]`` ← rank ``src``'s ``object_list`` (same length on every rank)."""
    comm = _comm()
    _check_rank(src, comm, "broadcast_object_list", "src")
    received = comm.bcast(list(object_list), root=src)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, this "
                         f"rank's list has {len(object_list)}")
    object_list[:] = received
