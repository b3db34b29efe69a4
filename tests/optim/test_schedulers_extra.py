"""LinearLR, SequentialLR, CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR: lr and momentum
sequences equal to PyTorch's, state_dict round trips, argument errors."""
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as t_sched

import gradwise as gw
from gradwise import optim
from gradwise.optim import lr_scheduler as gw_sched

LRS = (0.1, 0.05)


def _pair(opt_name="SGD", **opt_kwargs):
    """A gradwise and a torch optimizer with two parameter groups of lrs LRS."""
    gw_groups = [{"params": [gw.Tensor(np.zeros(2, np.float32), requires_grad=True)], "lr": lr}
                 for lr in LRS]
    t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS]
    return (getattr(optim, opt_name)(gw_groups, **opt_kwargs),
            getattr(torch.optim, opt_name)(t_groups, **opt_kwargs))


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _run(gw_opt, t_opt, gw_s, t_s, steps):
    seq_gw, seq_t = [], []
    for _ in range(steps):
        seq_gw.append((gw_s.get_last_lr(), [g["lr"] for g in gw_opt.param_groups],
                       _momenta(gw_opt)))
        seq_t.append((t_s.get_last_lr(), [g["lr"] for g in t_opt.param_groups],
                      _momenta(t_opt)))
        gw_opt.step()
        t_opt.step()
        gw_s.step()
        t_s.step()
    return seq_gw, seq_t


# (scheduler, optimizer, optimizer kwargs, scheduler kwargs, steps)
CASES = [
    ("LinearLR", "SGD", dict(momentum=0.9), {}, 12),
    ("LinearLR", "SGD", {}, dict(start_factor=0.25, end_factor=0.9, total_iters=7), 12),
    ("CyclicLR", "SGD", dict(momentum=0.9), dict(base_lr=0.01, max_lr=0.1, step_size_up=4), 30),
    ("CyclicLR", "SGD", dict(momentum=0.9),
     dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5,
          mode="triangular2"), 40),
    ("CyclicLR", "SGD", dict(momentum=0.9),
     dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.95), 30),
    ("CyclicLR", "Adam", {}, dict(base_lr=0.001, max_lr=0.01, step_size_up=2,
                                  scale_fn=lambda x: 0.9 ** x, scale_mode="iterations"), 20),
    ("CyclicLR", "SGD", {}, dict(base_lr=0.01, max_lr=0.1, step_size_up=3,
                                 cycle_momentum=False), 20),
    ("CosineAnnealingWarmRestarts", "SGD", {}, dict(T_0=5), 30),
    ("CosineAnnealingWarmRestarts", "SGD", {}, dict(T_0=3, T_mult=2, eta_min=0.001), 30),
    ("OneCycleLR", "SGD", dict(momentum=0.9), dict(max_lr=0.5, total_steps=25), 25),
    ("OneCycleLR", "Adam", {}, dict(max_lr=[0.01, 0.02], epochs=4, steps_per_epoch=5,
                                    anneal_strategy="linear", three_phase=True), 20),
    ("OneCycleLR", "SGD", {}, dict(max_lr=0.3, total_steps=16, pct_start=0.25,
                                   cycle_momentum=False, div_factor=10.0,
                                   final_div_factor=100.0), 16),
]


@pytest.mark.parametrize("name, opt_name, opt_kwargs, kwargs, steps", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_scheduler_lr_and_momentum_sequences_match_torch(name, opt_name, opt_kwargs, kwargs,
                                                        steps):
    gw_opt, t_opt = _pair(opt_name, **opt_kwargs)
    gw_s = getattr(gw_sched, name)(gw_opt, **kwargs)
    t_s = getattr(t_sched, name)(t_opt, **kwargs)
    seq_gw, seq_t = _run(gw_opt, t_opt, gw_s, t_s, steps)
    np.testing.assert_allclose(np.array(seq_gw, dtype=float), np.array(seq_t, dtype=float),
                               rtol=1e-12, atol=1e-15)


def test_sequential_lr_matches_torch_across_milestones():
    gw_opt, t_opt = _pair(momentum=0.9)
    seqs = []
    for lib, opt in ((gw_sched, gw_opt), (t_sched, t_opt)):
        warm = lib.LinearLR(opt, start_factor=0.1, total_iters=4)
        cos = lib.CosineAnnealingLR(opt, T_max=6)
        step = lib.StepLR(opt, step_size=3, gamma=0.5)
        seqs.append(lib.SequentialLR(opt, [warm, cos, step], milestones=[4, 10]))
    seq_gw, seq_t = _run(gw_opt, t_opt, *seqs, steps=20)
    np.testing.assert_allclose(np.array(seq_gw, dtype=float), np.array(seq_t, dtype=float),
                               rtol=1e-12, atol=1e-15)


def test_sequential_lr_state_dict_resumes_the_same_sequence():
    gw_opt, _ = _pair()
    sched = gw_sched.SequentialLR(gw_opt, [gw_sched.LinearLR(gw_opt, total_iters=3),
                                           gw_sched.ExponentialLR(gw_opt, gamma=0.8)], [3])
    for _ in range(5):
        gw_opt.step()
        sched.step()
    state = sched.state_dict()
    expected = []
    for _ in range(4):
        gw_opt.step()
        sched.step()
        expected.append(sched.get_last_lr())
    opt2, _ = _pair()
    for g, g_old in zip(opt2.param_groups, gw_opt.param_groups):
        g["initial_lr"] = g_old["initial_lr"]
    sched2 = gw_sched.SequentialLR(opt2, [gw_sched.LinearLR(opt2, total_iters=3),
                                          gw_sched.ExponentialLR(opt2, gamma=0.8)], [3])
    sched2.load_state_dict(state)
    for g, lr in zip(opt2.param_groups, state["_last_lr"]):
        g["lr"] = lr
    got = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    gw_opt, t_opt = _pair()
    gw_s = gw_sched.CosineAnnealingWarmRestarts(gw_opt, T_0=2, T_mult=3, eta_min=0.01)
    t_s = t_sched.CosineAnnealingWarmRestarts(t_opt, T_0=2, T_mult=3, eta_min=0.01)
    for epoch in np.arange(0, 12, 0.3):
        gw_opt.step()
        t_opt.step()
        gw_s.step(float(epoch))
        t_s.step(float(epoch))
        np.testing.assert_allclose(gw_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12)


def test_one_cycle_lr_raises_past_total_steps():
    gw_opt, _ = _pair(momentum=0.9)
    sched = gw_sched.OneCycleLR(gw_opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        gw_opt.step()
        sched.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times"):
        sched.step()


def test_cyclic_lr_state_dict_keeps_callable_object_scale_fn():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate ** x

    gw_opt, _ = _pair(momentum=0.9)
    fn = Decay()
    sched = gw_sched.CyclicLR(gw_opt, 0.01, 0.1, step_size_up=2, scale_fn=fn)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    fn.rate = 0.1
    sched.load_state_dict(state)
    assert fn.rate == 0.5


@pytest.mark.parametrize("make, match", [
    (lambda o: gw_sched.LinearLR(o, start_factor=0.0), "LinearLR: start_factor"),
    (lambda o: gw_sched.LinearLR(o, end_factor=1.5), "LinearLR: end_factor"),
    (lambda o: gw_sched.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "CyclicLR: mode"),
    (lambda o: gw_sched.CyclicLR(o, [0.01], 0.1), "CyclicLR: expected 2 values of base_lr"),
    (lambda o: gw_sched.CyclicLR(optim.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1),
     "CyclicLR: cycle_momentum=True needs"),
    (lambda o: gw_sched.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda o: gw_sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult >= 1"),
    (lambda o: gw_sched.OneCycleLR(o, 0.1), "OneCycleLR: give either total_steps"),
    (lambda o: gw_sched.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0), "pct_start"),
    (lambda o: gw_sched.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
     "anneal_strategy"),
    (lambda o: gw_sched.SequentialLR(o, [gw_sched.LinearLR(o)], [3]), "expected 0 milestones"),
    (lambda o: gw_sched.SequentialLR(o, [gw_sched.ReduceLROnPlateau(o)], []),
     "ReduceLROnPlateau"),
])
def test_scheduler_rejects_bad_arguments(make, match):
    gw_opt, _ = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            make(gw_opt)


def test_sequential_lr_rejects_scheduler_of_another_optimizer():
    a, _ = _pair()
    b, _ = _pair()
    with pytest.raises(ValueError, match="different optimizer"):
        gw_sched.SequentialLR(a, [gw_sched.LinearLR(a), gw_sched.LinearLR(b)], [2])


def test_extra_schedulers_exported_from_optim_lr_scheduler():
    for name in ("LinearLR", "SequentialLR", "CyclicLR", "CosineAnnealingWarmRestarts",
                 "OneCycleLR"):
        assert issubclass(getattr(optim.lr_scheduler, name), gw_sched.LRScheduler)
