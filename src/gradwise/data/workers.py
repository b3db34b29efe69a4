"""DataLoader worker processes (``num_workers > 0``), with PyTorch's order and seeding.

Batch k of an epoch is built by worker k mod num_workers; at most ``prefetch_factor`` batches
per worker are in flight, and batches are yielded in sampler order whatever order the workers
finish in. Each epoch draws ``base_seed`` from the library RNG; worker i seeds the library RNG
(and NumPy's legacy global RNG) with base_seed + i before ``worker_init_fn(i)``, so random
augmentations differ between workers and are reproducible under ``gradwise.manual_seed``.

Workers are forked (the dataset is inherited, not pickled); batches come back pickled.
Differs from PyTorch: workers live for one epoch (``persistent_workers`` is not supported) and
need the ``fork`` start method (Linux, macOS with fork).
"""
from __future__ import annotations

import multiprocessing as mp
import queue
from dataclasses import dataclass

import numpy as np

from ..core.random import default_generator, manual_seed


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info = [None]


def get_worker_info() -> WorkerInfo | None:
    """This worker's WorkerInfo inside a DataLoader worker; None in the main process."""
    return _worker_info[0]


def _worker_loop(fetch, dataset, worker_id, num_workers, seed, init_fn, index_queue, out_queue):
    _worker_info[0] = WorkerInfo(worker_id, num_workers, seed, dataset)
    manual_seed(seed)
    np.random.seed(seed % 2**32)
    try:
        if init_fn is not None:
            init_fn(worker_id)
        while True:
            task = index_queue.get()
            if task is None:
                return
            k, indices = task
            try:
                out_queue.put((k, fetch(indices), None))
            except Exception as e:  # sent back and raised in the main process
                out_queue.put((k, None, f"{type(e).__name__}: {e}"))
    except KeyboardInterrupt:
        return


def iterate_in_workers(loader, batches, num_workers, prefetch_factor, worker_init_fn, timeout):
    """Yield ``loader._fetch(indices)`` for each ``indices`` of ``batches``, computed by
    ``num_workers`` forked processes, in order."""
    ctx = mp.get_context("fork")
    base_seed = int(default_generator().integers(0, 2**63 - 1))
    out_queue = ctx.Queue()
    index_queues = [ctx.Queue() for _ in range(num_workers)]
    workers = [ctx.Process(target=_worker_loop, daemon=True,
                           args=(loader._fetch, loader.dataset, i, num_workers, base_seed + i,
                                 worker_init_fn, index_queues[i], out_queue))
               for i in range(num_workers)]
    for w in workers:
        w.start()
    try:
        batches = iter(batches)
        sent = received = 0
        done: dict = {}
        exhausted = False

        def dispatch():
            nonlocal sent, exhausted
            while not exhausted and sent - received < prefetch_factor * num_workers:
                indices = next(batches, None)
                if indices is None:
                    exhausted = True
                    return
                index_queues[sent % num_workers].put((sent, list(indices)))
                sent += 1

        dispatch()
        while received < sent:
            while received not in done:
                try:
                    k, batch, error = out_queue.get(timeout=timeout if timeout > 0 else 5.0)
                except queue.Empty:
                    dead = [w.pid for w in workers if not w.is_alive()]
                    if dead or timeout > 0:
                        raise RuntimeError(f"DataLoader worker(s) {dead or ''} exited unexpectedly"
                                           if dead else f"DataLoader timed out after {timeout} s")
                    continue
                if error is not None:
                    raise RuntimeError(f"DataLoader worker {k % num_workers} failed on batch "
                                       f"{k}: {error}")
                done[k] = batch
            batch = done.pop(received)
            received += 1
            dispatch()
            yield batch
    finally:
        for q in index_queues:
            q.put(None)
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
