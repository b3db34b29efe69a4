"""Shared memory across processes: Tensor.share_memory_, Module.share_memory, Hogwild training
and gradwise.multiprocessing, checked with real child processes (and against PyTorch's SGD)."""
import gc
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest
import torch
import torch.multiprocessing as torch_mp
from numpy.testing import assert_allclose

import gradwise as gw
import gradwise.multiprocessing as mp

FORK = mp.get_context("fork")


def _shm_entries():
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def _regression(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3


def _model():
    gw.manual_seed(0)
    return gw.nn.Linear(3, 1).double()


def _train(model, seed, steps=5, lr=0.05):
    """SGD with momentum on one batch; the optimizer (and its state) is this process's own."""
    x, y = (gw.tensor(a) for a in _regression(seed))
    opt = gw.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        gw.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


def _write(t, value):
    t.array[...] = value


def _loss(model):
    x, y = (gw.tensor(a) for a in _regression(99))
    with gw.no_grad():
        return gw.nn.functional.mse_loss(model(x), y).item()


def _run(target, *args, ctx=FORK):
    p = ctx.Process(target=target, args=args)
    p.start()
    p.join(timeout=120)
    assert p.exitcode == 0, f"child exited with {p.exitcode}"


def test_share_memory_keeps_objects_values_dtype_and_shape():
    model = gw.nn.Sequential(gw.nn.Linear(3, 4).double(), gw.nn.BatchNorm1d(4))
    params = list(model.parameters())
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    dtypes = {k: v.dtype for k, v in model.state_dict().items()}
    opt = gw.optim.SGD(model.parameters(), lr=0.1)
    assert not any(t.is_shared() for t in model.state_dict().values())
    assert model.share_memory() is model
    assert all(a is b for a, b in zip(model.parameters(), params))
    assert opt.param_groups[0]["params"][0] is params[0]
    for k, v in model.state_dict().items():
        assert v.is_shared(), k
        assert v.dtype == dtypes[k] and v.shape == before[k].shape
        assert_allclose(v.numpy(), before[k], rtol=0, atol=0)
    w = model[0].weight
    assert w.data.is_shared() and w.detach().is_shared()  # views share the segment
    assert w.share_memory_() is w  # already shared: a no-op
    assert model.share_memory().state_dict()["0.weight"].array is w.array


def test_share_memory_moves_existing_grads_too_like_torch():
    model = _model()
    gw.nn.functional.mse_loss(model(gw.tensor(_regression(0)[0])), gw.zeros(16, 1,
                                                                            dtype=gw.float64)).backward()
    model.share_memory()
    assert all(p.grad.is_shared() for p in model.parameters())


def test_child_write_reaches_parent_only_through_shared_tensor():
    shared = gw.zeros(4, dtype=gw.float64).share_memory_()
    plain = gw.zeros(4, dtype=gw.float64)
    _run(_write, shared, 7.0)
    _run(_write, plain, 7.0)
    assert shared.tolist() == [7.0] * 4
    assert plain.tolist() == [0.0] * 4


def test_children_training_one_after_the_other_match_torch_sgd():
    model = _model().share_memory()
    t_model = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        t_model.weight.copy_(torch.tensor(model.weight.detach().numpy()))
        t_model.bias.copy_(torch.tensor(model.bias.detach().numpy()))
    for seed in (1, 2):
        _run(_train, model, seed)
        x, y = (torch.tensor(a) for a in _regression(seed))
        opt = torch.optim.SGD(t_model.parameters(), lr=0.05, momentum=0.9)
        for _ in range(5):
            opt.zero_grad()
            torch.nn.functional.mse_loss(t_model(x), y).backward()
            opt.step()
    assert_allclose(model.weight.detach().numpy(), t_model.weight.detach().numpy(), rtol=1e-12,
                    atol=1e-14)
    assert_allclose(model.bias.detach().numpy(), t_model.bias.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_hogwild_two_processes_train_the_same_shared_model():
    model = _model().share_memory()
    start = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    loss0 = _loss(model)
    procs = [FORK.Process(target=_train, args=(model, seed, 40, 0.02)) for seed in (3, 4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert not np.allclose(model.weight.detach().numpy(), start["weight"])
    assert np.isfinite(model.weight.detach().numpy()).all()
    assert _loss(model) < 0.1 * loss0


def _spawn_child(model, tensor, inbox, outbox):
    received = inbox.get(timeout=60)
    received.array[...] = 3.0
    tensor.array[...] += 1.0
    _train(model, seed=5, steps=1)
    outbox.put(tensor.is_shared() and received.is_shared() and model.weight.is_shared())


def test_shared_tensors_pickled_to_a_spawn_child_share_memory_both_ways():
    ctx = mp.get_context("spawn")
    model = _model().share_memory()
    w0 = model.weight.detach().numpy().copy()
    tensor = gw.ones(3, dtype=gw.float64).share_memory_()
    via_queue = gw.zeros(2, 2, dtype=gw.float64).share_memory_()
    inbox, outbox = ctx.Queue(), ctx.Queue()
    inbox.put(via_queue)
    p = ctx.Process(target=_spawn_child, args=(model, tensor, inbox, outbox))
    p.start()
    assert outbox.get(timeout=120) is True
    p.join(timeout=120)
    assert p.exitcode == 0
    assert tensor.tolist() == [2.0, 2.0, 2.0]
    assert via_queue.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert not np.allclose(model.weight.detach().numpy(), w0)


def test_shared_tensor_sent_through_a_queue_to_a_fork_child_is_the_same_memory():
    t = gw.zeros(3, dtype=gw.float64).share_memory_()
    queue = FORK.Queue()
    p = FORK.Process(target=_write_from_queue, args=(queue,))
    p.start()
    queue.put(t)
    p.join(timeout=120)
    assert p.exitcode == 0 and t.tolist() == [5.0, 5.0, 5.0]


def _write_from_queue(queue):
    _write(queue.get(timeout=60), 5.0)


def test_segments_leave_no_dev_shm_files_and_descriptors_are_released():
    shm, fds = _shm_entries(), _open_fds()
    tensors = [gw.randn(10, 10).share_memory_() for _ in range(20)]
    per_segment = (_open_fds() - fds) // 20  # our descriptor and the one mmap keeps
    assert per_segment <= 2
    model = gw.nn.Sequential(*[gw.nn.Linear(3, 3) for _ in range(5)]).share_memory()
    assert _open_fds() == fds + 21 * per_segment  # all 10 parameters in one segment
    del model
    model = _model().share_memory()
    _run(_train, model, 6)
    assert _shm_entries() == shm
    del tensors, model
    gc.collect()
    assert _open_fds() == fds
    assert _shm_entries() == shm


def test_plain_pickle_copies_values_and_non_leaf_is_refused_for_processes():
    t = gw.tensor([1.0, 2.0]).share_memory_()
    copy = pickle.loads(pickle.dumps(t))  # torch.save semantics: values, not memory
    assert copy.tolist() == [1.0, 2.0] and not copy.is_shared()
    y = gw.tensor([1.0], requires_grad=True).share_memory_() * 2
    y.share_memory_()
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    with pytest.raises(TypeError, match="share_memory_: a object array"):
        gw.Tensor(np.array([None, 1])).share_memory_()


def test_received_parameter_keeps_its_type_and_requires_grad():
    p = gw.nn.Parameter(gw.ones(2, dtype=gw.float64)).share_memory_()
    q = pickle.loads(ForkingPickler.dumps(p))
    assert type(q) is gw.nn.Parameter and q.requires_grad and q.is_shared()
    q.array[0] = 9.0
    assert p.tolist() == [9.0, 1.0]


def _spawned(i, t, fail_index):
    if i == fail_index:
        raise ValueError(f"process {i} fails on purpose")
    t.array[i] = i + 10.0


def test_spawn_runs_fn_with_process_index_like_torch():
    t = gw.zeros(3, dtype=gw.float64).share_memory_()
    assert mp.spawn(_spawned, args=(t, -1), nprocs=3, start_method="fork") is None
    assert t.tolist() == [10.0, 11.0, 12.0]
    context = mp.start_processes(_spawned, args=(t, -1), nprocs=2, join=False,
                                 start_method="fork")
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join(timeout=60):
        pass


def test_spawn_reports_the_failing_process_traceback():
    t = gw.zeros(2, dtype=gw.float64).share_memory_()
    with pytest.raises(mp.ProcessRaisedException, match="fails on purpose") as info:
        mp.spawn(_spawned, args=(t, 1), nprocs=2, start_method="fork")
    assert info.value.error_index == 1
    with pytest.raises(ValueError, match="nprocs must be a positive int"):
        mp.spawn(_spawned, args=(t, -1), nprocs=0)


def test_module_mirrors_torch_multiprocessing_names():
    missing = [n for n in torch_mp.__all__ if not hasattr(mp, n)]
    assert not missing
    assert mp.Process is torch_mp.Process and mp.Pool is torch_mp.Pool
    assert mp.get_sharing_strategy() == "file_descriptor"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="expected one of \\['file_descriptor'\\], got 'file_system'"):
        mp.set_sharing_strategy("file_system")
    assert gw.multiprocessing is mp
