"""``gradwise.multiprocessing``: Python's multiprocessing with PyTorch's additions (torch.multiprocessing).

Everything in the standard ``multiprocessing`` module is re-exported (``Process``, ``Queue``,
``Pool``, ``get_context``, ``set_start_method``, ...), as in PyTorch, plus ``spawn`` and
``start_processes``. Hogwild-style training, unchanged from PyTorch:

    model.share_memory()                       # every parameter and buffer into shared memory
    procs = [mp.Process(target=train, args=(model,)) for _ in range(4)]

A tensor in shared memory (``Tensor.share_memory_()``) is the same memory in every process:
a 'fork' child inherits the mapping, and a 'spawn' or 'forkserver' child, or any process that
gets the tensor through a ``Queue`` or ``Pipe``, receives a duplicate of its memfd descriptor
(PyTorch's 'file_descriptor' sharing strategy, the only one here). Tensors not in shared memory
are copied, as in PyTorch. The pickling itself is registered by ``gradwise.core.tensor``.
"""
import multiprocessing
import multiprocessing.connection
import signal as _signal
import traceback
from multiprocessing import *  # noqa: F401,F403 (PyTorch re-exports the module the same way)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", *multiprocessing.__all__]

_STRATEGIES = ("file_descriptor",)


def get_all_sharing_strategies():
    """The ways shared tensors can reach another process: {'file_descriptor'}."""
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _STRATEGIES[0]


def set_sharing_strategy(new_strategy):
    """Accept 'file_descriptor' (the only strategy; PyTorch's 'file_system' is not offered)."""
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"set_sharing_strategy: expected one of {sorted(_STRATEGIES)}, got "
                         f"{new_strategy!r} (gradwise shares memfd descriptors only)")


class ProcessException(Exception):
    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A process started by ``spawn`` raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A process started by ``spawn`` exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent is stopping everything
    except Exception:
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The processes started by ``spawn(..., join=False)``; ``join()`` waits for them."""

    def __init__(self, processes, error_queues):
        self.processes = processes
        self.error_queues = error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait up to ``timeout`` seconds for the processes.

        Returns True once all have exited successfully, False if some still run. Raises
        ProcessRaisedException or ProcessExitedException (after terminating the others) as
        soon as one fails, like PyTorch.
        """
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        process = self.processes[failed]
        if not self.error_queues[failed].empty():
            raise ProcessRaisedException(
                f"\n\n-- Process {failed} terminated with the following error:\n"
                f"{self.error_queues[failed].get()}", failed, process.pid)
        code = process.exitcode
        if code < 0:
            name = _signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}",
                                         failed, process.pid, code, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {code}",
                                     failed, process.pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for i in range(nprocs), each in a new process.

    Args:
        fn: a picklable function (defined at module top level for 'spawn').
        args: the arguments after the process index.
        nprocs: how many processes.
        join: wait for all of them (default) instead of returning a ProcessContext.
        daemon: start them as daemonic processes.
        start_method: 'spawn' (default, as in PyTorch), 'fork' or 'forkserver'.

    Returns: None when ``join``, else the ProcessContext.
    """
    if not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be a positive int, got {nprocs!r}")
    ctx = multiprocessing.get_context(start_method)
    processes, error_queues = [], []
    for i in range(nprocs):
        error_queue = ctx.SimpleQueue()
        process = ctx.Process(target=_wrap, args=(fn, i, tuple(args), error_queue),
                              daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(error_queue)
    context = ProcessContext(processes, error_queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` (PyTorch's ``torch.multiprocessing.spawn``)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
