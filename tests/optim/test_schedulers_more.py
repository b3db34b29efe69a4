"""ConstantLR, PolynomialLR, MultiplicativeLR, ChainedScheduler: 30-step lr trajectories equal to
PyTorch's, state_dict round trips, closed forms, errors, and the full torch scheduler list."""
import inspect
import pickle
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as t_sched

import gradwise as gw
from gradwise.optim import lr_scheduler as gw_sched

STEPS = 30


class Decay:
    """A callable object: MultiplicativeLR saves its __dict__ in state_dict, as torch does."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate if epoch % 3 else 1.0


def _optimizer(lib, kind="SGD"):
    """Two parameter groups (lrs 0.1 and 0.05) of float64 zeros."""
    groups = [{"params": [lib.zeros(n, dtype=lib.float64, requires_grad=True)], "lr": lr}
              for n, lr in ((2, 0.1), (3, 0.05))]
    return getattr(lib.optim, kind)(groups, momentum=0.9) if kind == "SGD" else \
        getattr(lib.optim, kind)(groups)


def _build(lib, name, kwargs):
    """Scheduler ``name`` of ``lib`` on a fresh optimizer; ChainedScheduler's kwargs name the
    schedulers it chains as (class name, kwargs) pairs."""
    sched = gw_sched if lib is gw else t_sched
    opt = _optimizer(lib)
    if name == "ChainedScheduler":
        parts = [getattr(sched, n)(opt, **kw) for n, kw in kwargs["parts"]]
        return opt, sched.ChainedScheduler(parts)
    if name == "SequentialLR":
        parts = [getattr(sched, n)(opt, **kw) for n, kw in kwargs["parts"]]
        return opt, sched.SequentialLR(opt, parts, kwargs["milestones"])
    return opt, getattr(sched, name)(opt, **kwargs)


def _trajectory(opt, sched, steps=STEPS):
    """get_last_lr() after construction and after each step (optimizer.step() first)."""
    out = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out


CASES = [
    ("ConstantLR", {}),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("ConstantLR", dict(factor=0.2, total_iters=1)),
    ("PolynomialLR", {}),
    ("PolynomialLR", dict(total_iters=10, power=2.0)),
    ("PolynomialLR", dict(total_iters=40, power=0.5)),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9, lambda e: 1.0 + 0.01 * (e % 2)])),
    ("MultiplicativeLR", dict(lr_lambda=Decay(0.8))),
    ("ChainedScheduler", dict(parts=[("ConstantLR", dict(factor=0.1, total_iters=2)),
                                     ("ExponentialLR", dict(gamma=0.9))])),
    ("ChainedScheduler", dict(parts=[("LinearLR", dict(start_factor=0.2, total_iters=5)),
                                     ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.97)),
                                     ("StepLR", dict(step_size=7, gamma=0.5))])),
    ("SequentialLR", dict(parts=[("ConstantLR", dict(factor=0.25, total_iters=3)),
                                 ("PolynomialLR", dict(total_iters=20, power=1.5))],
                          milestones=[6])),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_lr_trajectory_equals_torch(name, kwargs):
    g = _trajectory(*_build(gw, name, kwargs))
    t = _trajectory(*_build(torch, name, kwargs))
    assert g == t  # exact: the same float operations in the same order
    assert len({tuple(lrs) for lrs in g}) > 1


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_state_dict_round_trip_resumes_the_trajectory(name, kwargs):
    reference = _trajectory(*_build(gw, name, kwargs))
    opt, sched = _build(gw, name, kwargs)
    first = _trajectory(opt, sched, steps=12)
    opt_state, sched_state = pickle.loads(pickle.dumps((opt.state_dict(),
                                                        _picklable(sched.state_dict()))))
    fresh_opt, fresh = _build(gw, name, kwargs)
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(sched_state)
    assert first[:-1] + _trajectory(fresh_opt, fresh, steps=STEPS - 12) == reference


def _picklable(state):
    """A state_dict minus the lambdas a wrapped scheduler keeps (saved as None, as in torch)."""
    if "_schedulers" in state:
        return {**state, "_schedulers": [_picklable(s) for s in state["_schedulers"]]}
    return state


def test_multiplicative_lr_saves_callable_objects_but_not_functions_like_torch():
    states = []
    for lib in (gw, torch):
        opt = _optimizer(lib)
        sched = (gw_sched if lib is gw else t_sched).MultiplicativeLR(
            opt, [Decay(0.5), lambda e: 0.9])
        states.append(sched.state_dict()["lr_lambdas"])
    assert states[0] == states[1] == [{"rate": 0.5}, None]
    opt = _optimizer(gw)
    other = gw_sched.MultiplicativeLR(opt, [Decay(0.1), lambda e: 0.9])
    saved = {"lr_lambdas": [{"rate": 0.7}, None], "last_epoch": 4}
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].rate == 0.7 and other.last_epoch == 4
    assert "lr_lambdas" in saved  # the caller's dict is left as it was


@pytest.mark.parametrize("name,kwargs", [("ConstantLR", dict(factor=0.5, total_iters=4)),
                                         ("PolynomialLR", dict(total_iters=10, power=2.0))])
def test_step_with_epoch_uses_the_closed_form_like_torch(name, kwargs):
    lrs = []
    for lib in (gw, torch):
        opt, sched = _build(lib, name, kwargs)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (3, 4, 7, 12, 2):
                opt.step()
                sched.step(epoch)
                seq += sched.get_last_lr()
        lrs.append(seq)
    assert lrs[0] == pytest.approx(lrs[1], rel=1e-15)


def test_chained_scheduler_defaults_to_first_optimizer_and_reports_last_lr():
    opt = _optimizer(gw)
    parts = [gw_sched.ConstantLR(opt, factor=0.5, total_iters=2),
             gw_sched.ExponentialLR(opt, gamma=0.5)]
    chained = gw_sched.ChainedScheduler(parts)
    assert chained.optimizer is opt
    assert chained.get_last_lr() == [0.05, 0.025]
    assert gw_sched.ChainedScheduler(parts, optimizer=opt).optimizer is opt


def test_new_schedulers_refuse_bad_arguments_with_clear_messages():
    opt = _optimizer(gw)
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be in \[0, 1\], got 1.5"):
        gw_sched.ConstantLR(opt, factor=1.5)
    with pytest.raises(TypeError, match="MultiplicativeLR: lr_lambda should be a function, "
                                        "got float"):
        gw_sched.MultiplicativeLR(opt, 0.9)
    with pytest.raises(ValueError, match="MultiplicativeLR: expected 2 values of lr_lambda"):
        gw_sched.MultiplicativeLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="ChainedScheduler: expected at least one scheduler"):
        gw_sched.ChainedScheduler([])
    with pytest.raises(ValueError, match=r"ChainedScheduler: schedulers\[1\] \(StepLR\) wraps a "
                                         "different optimizer"):
        gw_sched.ChainedScheduler([gw_sched.StepLR(opt, 2), gw_sched.StepLR(_optimizer(gw), 2)])
    with pytest.raises(ValueError, match=r"schedulers\[0\] is a ReduceLROnPlateau, which needs a "
                                         "metric in step\\(\\) and cannot be chained"):
        gw_sched.ChainedScheduler([gw_sched.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match=r"ChainedScheduler: schedulers\[0\] \(object\) has no "
                                        "`optimizer` attribute"):
        gw_sched.ChainedScheduler([object()], optimizer=opt)


def test_every_public_torch_scheduler_exists_with_the_same_signature():
    for name in t_sched.__all__:
        ours, theirs = getattr(gw_sched, name, None), getattr(t_sched, name)
        assert ours is not None, f"gradwise.optim.lr_scheduler lacks {name}"
        got = [(p.name, p.default) for p in inspect.signature(ours).parameters.values()]
        want = [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
        assert got == want, name
    assert gw_sched._LRScheduler is gw_sched.LRScheduler
