"""Learning-rate schedulers: 30-step lr sequences equal to PyTorch's, resume, errors."""
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import optim
from gradwise.optim import lr_scheduler as gw_sched
from torch.optim import lr_scheduler as t_sched

STEPS = 30
LRS = (0.1, 0.05)


class Warmup:
    """A callable object: LambdaLR saves its __dict__ in state_dict."""

    def __init__(self, warmup):
        self.warmup = warmup

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.warmup) * 0.97**epoch


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1.0 + epoch))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.95**e, lambda e: 1.0 + (e % 4)])),
    ("LambdaLR", dict(lr_lambda=Warmup(5))),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # 30 steps: down, up, down
    ("CosineAnnealingLR", dict(T_max=7)),
]
SCHED_IDS = [f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)]


def gw_optimizer(kind="SGD"):
    groups = [{"params": [gw.zeros(2, requires_grad=True)], "lr": LRS[0]},
              {"params": [gw.zeros(3, requires_grad=True)], "lr": LRS[1]}]
    return optim.SGD(groups, momentum=0.9) if kind == "SGD" else optim.Adam(groups)


def torch_optimizer(kind="SGD"):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": LRS[0]},
              {"params": [torch.zeros(3, requires_grad=True)], "lr": LRS[1]}]
    return torch.optim.SGD(groups, momentum=0.9) if kind == "SGD" else torch.optim.Adam(groups)


def lr_sequence(opt, sched, steps=STEPS, metrics=None):
    """get_last_lr() after construction and after each of `steps` epochs (optimizer first)."""
    seq = [list(sched.get_last_lr())]
    for epoch in range(steps):
        opt.step()  # no gradients: parameters stay, but the call order is the documented one
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
    return seq


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=SCHED_IDS)
def test_lr_sequence_equals_torch(name, kwargs):
    g_opt, t_opt = gw_optimizer(), torch_optimizer()
    g = getattr(gw_sched, name)(g_opt, **kwargs)
    t = getattr(t_sched, name)(t_opt, **kwargs)
    g_seq, t_seq = lr_sequence(g_opt, g), lr_sequence(t_opt, t)
    assert g_seq == t_seq  # exact: the same float operations in the same order
    assert g.last_epoch == t.last_epoch == STEPS
    assert [grp["initial_lr"] for grp in g_opt.param_groups] == list(LRS)
    assert len(set(map(tuple, g_seq))) > 1  # the schedule actually changes the lr


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.91, 0.8, 0.8, 0.8, 0.8, 0.79995, 0.8, 0.7, 0.7, 0.7,
                   0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
PLATEAU = [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=1, threshold=0.05, threshold_mode="abs"),
    dict(mode="max", patience=2, factor=0.3),
    dict(mode="max", patience=0, threshold_mode="abs", min_lr=[0.02, 0.001]),
    dict(patience=0, factor=0.5, min_lr=0.01, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_sequence_equals_torch(kwargs):
    g_opt, t_opt = gw_optimizer(), torch_optimizer()
    g = gw_sched.ReduceLROnPlateau(g_opt, **kwargs)
    t = t_sched.ReduceLROnPlateau(t_opt, **kwargs)
    # "max" mode monitors an accuracy-like metric: rising, with the same plateaus
    metrics = PLATEAU_METRICS if kwargs.get("mode") != "max" else [2 - m for m in PLATEAU_METRICS]
    g_seq = lr_sequence(g_opt, g, metrics=[gw.tensor(m) for m in metrics])  # Tensor metrics
    t_seq = lr_sequence(t_opt, t, metrics=metrics)
    assert g_seq == t_seq
    assert g_seq[-1] != g_seq[0]
    assert (g.best, g.num_bad_epochs, g.cooldown_counter) == \
        (pytest.approx(t.best), t.num_bad_epochs, t.cooldown_counter)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:4] + SCHEDULERS[6:8],
                         ids=SCHED_IDS[:4] + SCHED_IDS[6:8])
def test_scheduler_state_dict_round_trip_resumes_exactly(name, kwargs):
    g_opt = gw_optimizer("Adam")
    reference = lr_sequence(g_opt, getattr(gw_sched, name)(g_opt, **kwargs))

    g_opt = gw_optimizer("Adam")
    sched = getattr(gw_sched, name)(g_opt, **kwargs)
    first = lr_sequence(g_opt, sched, steps=12)
    saved = pickle.dumps((g_opt.state_dict(), sched.state_dict()))

    opt_state, sched_state = pickle.loads(saved)
    fresh_opt = gw_optimizer("Adam")
    fresh = getattr(gw_sched, name)(fresh_opt, **kwargs)  # scheduler first, then the states
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(sched_state)
    assert first[:-1] + lr_sequence(fresh_opt, fresh, steps=STEPS - 12) == reference


def test_reduce_lr_on_plateau_state_dict_round_trip():
    g_opt = gw_optimizer()
    sched = gw_sched.ReduceLROnPlateau(g_opt, patience=1, cooldown=1)
    reference = lr_sequence(g_opt, sched, metrics=PLATEAU_METRICS)
    g_opt = gw_optimizer()
    sched = gw_sched.ReduceLROnPlateau(g_opt, patience=1, cooldown=1)
    first = lr_sequence(g_opt, sched, steps=13, metrics=PLATEAU_METRICS)
    opt_state, sched_state = pickle.loads(pickle.dumps((g_opt.state_dict(), sched.state_dict())))
    fresh_opt = gw_optimizer()
    fresh = gw_sched.ReduceLROnPlateau(fresh_opt)
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(sched_state)
    rest = lr_sequence(fresh_opt, fresh, steps=STEPS - 13, metrics=PLATEAU_METRICS[13:])
    assert first[:-1] + rest == reference


def test_lambda_lr_state_dict_keeps_callable_objects_state_like_torch():
    g_opt, t_opt = gw_optimizer(), torch_optimizer()
    g = gw_sched.LambdaLR(g_opt, [Warmup(3), lambda e: 1.0])
    t = t_sched.LambdaLR(t_opt, [Warmup(3), lambda e: 1.0])
    assert g.state_dict()["lr_lambdas"] == t.state_dict()["lr_lambdas"] == [{"warmup": 3}, None]
    other = gw_sched.LambdaLR(gw_optimizer(), [Warmup(8), lambda e: 1.0])
    other.load_state_dict(g.state_dict())
    assert other.lr_lambdas[0].warmup == 3


def test_scheduler_drives_a_training_run_like_torch():
    """SGD + StepLR on a tiny least-squares problem: parameters equal torch's every epoch."""
    rng = np.random.default_rng(0)
    x, y, w0 = rng.standard_normal((16, 4)), rng.standard_normal(16), rng.standard_normal(4)
    gw_w = gw.tensor(w0.copy(), requires_grad=True)
    t_w = torch.tensor(w0.copy(), requires_grad=True)
    g_opt = optim.SGD([gw_w], lr=0.05, momentum=0.9)
    t_opt = torch.optim.SGD([t_w], lr=0.05, momentum=0.9)
    g_s, t_s = gw_sched.StepLR(g_opt, 5, 0.5), t_sched.StepLR(t_opt, 5, 0.5)
    for _ in range(20):
        g_opt.zero_grad()
        t_opt.zero_grad()
        ((gw.tensor(x) @ gw_w - gw.tensor(y)) ** 2).mean().backward()
        ((torch.tensor(x) @ t_w - torch.tensor(y)) ** 2).mean().backward()
        g_opt.step()
        t_opt.step()
        g_s.step()
        t_s.step()
        np.testing.assert_allclose(gw_w.array, t_w.detach().numpy(), rtol=1e-10)
    assert g_s.get_last_lr() == t_s.get_last_lr() == [0.05 * 0.5**4]


@pytest.mark.parametrize("name,kwargs", [SCHEDULERS[0], SCHEDULERS[2], SCHEDULERS[3],
                                         SCHEDULERS[7]], ids=["StepLR", "MultiStepLR",
                                                              "ExponentialLR", "Cosine"])
def test_step_with_epoch_uses_closed_form_like_torch(name, kwargs):
    g_opt, t_opt = gw_optimizer(), torch_optimizer()
    g = getattr(gw_sched, name)(g_opt, **kwargs)
    t = getattr(t_sched, name)(t_opt, **kwargs)
    g_opt.step()
    t_opt.step()
    for epoch in (3, 7, 13, 25):
        with pytest.warns(UserWarning, match="deprecated"):
            g.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t.step(epoch)
        assert g.get_last_lr() == t.get_last_lr()


def test_resuming_with_last_epoch_needs_initial_lr_like_torch():
    with pytest.raises(KeyError):
        t_sched.StepLR(torch_optimizer(), 3, last_epoch=4)
    with pytest.raises(KeyError, match="initial_lr"):
        gw_sched.StepLR(gw_optimizer(), 3, last_epoch=4)
    g_opt, t_opt = gw_optimizer(), torch_optimizer()
    for opt in (g_opt, t_opt):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    g = gw_sched.CosineAnnealingLR(g_opt, T_max=10, last_epoch=4)
    t = t_sched.CosineAnnealingLR(t_opt, T_max=10, last_epoch=4)
    assert lr_sequence(g_opt, g, steps=10) == lr_sequence(t_opt, t, steps=10)


def test_stepping_scheduler_before_optimizer_warns():
    opt = gw_optimizer()
    sched = gw_sched.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt, ok = gw_optimizer(), None
    sched = gw_sched.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = sched.step()
    assert ok is None


def test_scheduler_bad_arguments_raise():
    with pytest.raises(TypeError, match="not an Optimizer"):
        gw_sched.StepLR(object(), 3)
    with pytest.raises(ValueError, match="LambdaLR: expected 2 values of lr_lambda \\(one per param group\\), got 1"):
        gw_sched.LambdaLR(gw_optimizer(), [lambda e: 1.0])
    with pytest.raises(ValueError, match="step_size must be > 0"):
        gw_sched.StepLR(gw_optimizer(), 0)
    with pytest.raises(ValueError, match="T_max must be > 0"):
        gw_sched.CosineAnnealingLR(gw_optimizer(), 0)
    for kwargs, match in [(dict(factor=1.0), "factor should be < 1.0"),
                          (dict(mode="up"), "mode 'up' is unknown"),
                          (dict(threshold_mode="pct"), "threshold mode 'pct' is unknown"),
                          (dict(min_lr=[0.1]), "expected 2 min_lrs, got 1")]:
        with pytest.raises(ValueError):
            t_sched.ReduceLROnPlateau(torch_optimizer(), **kwargs)
        with pytest.raises(ValueError, match=match):
            gw_sched.ReduceLROnPlateau(gw_optimizer(), **kwargs)


def test_cosine_annealing_matches_closed_form_within_one_period():
    opt = gw_optimizer()
    sched = gw_sched.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)
    seq = lr_sequence(opt, sched, steps=12)
    for t, lrs in enumerate(seq):
        expected = 0.01 + (LRS[0] - 0.01) * (1 + math.cos(math.pi * t / 12)) / 2
        assert lrs[0] == pytest.approx(expected, rel=1e-12)
