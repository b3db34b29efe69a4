"""Warm-up, cyclical and composed learning-rate schedules: LinearLR, SequentialLR,
ChainedScheduler, CyclicLR, CosineAnnealingWarmRestarts and OneCycleLR.

The formulas, the recursive (chainable) updates and the ``last_epoch`` bookkeeping follow
``torch.optim.lr_scheduler`` so that the learning-rate (and momentum) sequences equal PyTorch's.
"""
from __future__ import annotations

import math
from bisect import bisect_right

from .lr_scheduler import (
    LRScheduler, ReduceLROnPlateau, _check_fraction, _load_lambda, _load_state_with_items,
    _per_group, _save_lambda, _state_with_items,
)
from .optimizer import Optimizer


def _initial_step(scheduler):
    """Redo the first step of ``scheduler`` (PyTorch's ``_initial_step``)."""
    scheduler._step_count = 0
    scheduler._is_initial = True
    try:
        scheduler.step()
    finally:
        scheduler._is_initial = False


def _update_lr(scheduler, epoch):
    """Set ``last_epoch = epoch`` and apply the closed form (or ``get_lr``), without a step."""
    scheduler.last_epoch = epoch
    closed_form = getattr(scheduler, "_get_closed_form_lr", None)
    values = closed_form() if closed_form is not None else scheduler.get_lr()
    for group, lr in zip(scheduler.optimizer.param_groups, values):
        group["lr"] = lr
    scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


def _start_momentum_cycle(scheduler, base_momentum, max_momentum, last_epoch):
    """Prepare a momentum cycle (CyclicLR, OneCycleLR): set ``scheduler.use_beta1`` (Adam's β₁
    instead of ``momentum``) and, for a new schedule, start every group at its max momentum
    and record both bounds in the group, as PyTorch does.

    Returns: (base_momentums, max_momentums), one per group.
    """
    owner, optimizer = type(scheduler).__name__, scheduler.optimizer
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{owner}: cycle_momentum=True needs an optimizer with momentum or "
                         f"betas, got {type(optimizer).__name__}")
    scheduler.use_beta1 = "betas" in optimizer.defaults
    base_momentums = _per_group(owner, "base_momentum", optimizer, base_momentum)
    max_momentums = _per_group(owner, "max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, m_max, scheduler.use_beta1)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return base_momentums, max_momentums


def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class LinearLR(LRScheduler):
    """Multiply the lr by a factor that moves linearly from ``start_factor`` to ``end_factor``.

        lr_t = initial_lr · (start + (end − start) · min(t, total_iters) / total_iters)

    computed recursively from the current lr, as PyTorch does.

    Args:
        optimizer: the wrapped Optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from epoch ``total_iters`` on, in [0, 1] (default 1).
        total_iters: number of epochs of the linear change (default 5).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _check_fraction("LinearLR", "start_factor", start_factor, low_open=True)
        _check_fraction("LinearLR", "end_factor", end_factor)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        delta = self.end_factor - self.start_factor
        # ratio of consecutive factors: f_t / f_{t-1} = 1 + Δ / (T·s + (t − 1)·Δ)
        ratio = 1.0 + delta / (self.total_iters * self.start_factor
                               + (self.last_epoch - 1) * delta)
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class _SchedulerList(LRScheduler):
    """Base of SequentialLR and ChainedScheduler: checks the wrapped schedulers and saves
    their ``state_dict()``s inside its own."""

    def _set_schedulers(self, schedulers, optimizer):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name}: expected at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) "
                                f"has no `optimizer` attribute")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"{name}: schedulers[{i}] is a ReduceLROnPlateau, which "
                                 f"needs a metric in step() and cannot be {self._verb}")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) "
                                 f"wraps a different optimizer")
        self._schedulers = list(schedulers)
        self.optimizer = optimizer

    def state_dict(self):
        """Own attributes plus every wrapped scheduler's ``state_dict()``."""
        return _state_with_items(self, "_schedulers", lambda s: s.state_dict())

    def load_state_dict(self, state_dict):
        _load_state_with_items(self, state_dict, "_schedulers",
                               lambda s, saved: s.load_state_dict(saved))


class SequentialLR(_SchedulerList):
    """Run ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]``.

    At each milestone the next scheduler restarts from its epoch 0 (closed form), as in PyTorch.

    Args:
        optimizer: the wrapped Optimizer, shared by every scheduler.
        schedulers: the schedulers, in order (not ReduceLROnPlateau).
        milestones: ``len(schedulers) - 1`` epoch indices.
        last_epoch: see :class:`LRScheduler`.
    """

    _verb = "sequenced"

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        self._set_schedulers(schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._recursive_undo()
        idx = bisect_right(self._milestones, 0)
        _initial_step(self._schedulers[idx])
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _recursive_undo(self, sched=None):
        """Undo the step each scheduler made when it was constructed."""
        sched = self if sched is None else sched
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._recursive_undo(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self):  # noqa: D102 (no epoch argument, like PyTorch)
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            _update_lr(scheduler, 0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_SchedulerList):
    """Step several schedulers together: each epoch every one of them updates the lr in turn,
    so their factors multiply (e.g. ConstantLR warm-up chained with ExponentialLR decay).

    Args:
        schedulers: the schedulers, all on one optimizer (not ReduceLROnPlateau).
        optimizer: that optimizer (default: the first scheduler's).
    """

    _verb = "chained"

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler: expected at least one scheduler, got none")
        self._set_schedulers(schedulers, optimizer or schedulers[0].optimizer)
        self._last_lr = self._current_lrs()

    def step(self):  # noqa: D102 (no epoch argument, like PyTorch)
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()


class CyclicLR(LRScheduler):
    """Cyclical learning rate (Smith 2017): the lr goes back and forth between base and max.

        cycle = ⌊1 + t / (up + down)⌋,  x = 1 + t / (up + down) − cycle
        lr = base_lr + (max_lr − base_lr) · s(x) · scale_fn(cycle or t)

    with s rising linearly over ``step_size_up`` iterations and falling over ``step_size_down``.
    Momentum (or Adam's β₁) cycles inversely between ``max_momentum`` and ``base_momentum``.
    Call ``step()`` after every batch.

    Args:
        optimizer: the wrapped Optimizer.
        base_lr: lower lr bound, a float or one per group.
        max_lr: upper lr bound, a float or one per group.
        step_size_up: iterations in the rising half of a cycle (default 2000).
        step_size_down: iterations in the falling half (default: ``step_size_up``).
        mode: "triangular", "triangular2" (amplitude halved each cycle) or "exp_range"
            (amplitude · gamma^t); ignored when ``scale_fn`` is given.
        gamma: the constant of "exp_range" (default 1).
        scale_fn: a custom scaling function of one argument, with values in [0, 1].
        scale_mode: "cycle" or "iterations": the argument given to ``scale_fn``.
        cycle_momentum: cycle momentum inversely to the lr (default True).
        base_momentum: lower momentum bound (default 0.8).
        max_momentum: upper momentum bound (default 0.9).
        last_epoch: index of the last batch; see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _per_group("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", "max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        if step_size_up + step_size_down <= 0:
            raise ValueError(f"CyclicLR: step_size_up + step_size_down must be > 0, got "
                             f"{step_size_up} + {step_size_down}")
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' when scale_fn is None, got {mode!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', "
                             f"got {scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _start_momentum_cycle(
                self, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        # the built-in modes fix scale_mode, as in PyTorch
        self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude scaling at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                _set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale,
                              self.use_beta1)
        return lrs

    def state_dict(self):
        """Every attribute except the optimizer; a custom ``scale_fn`` only if it is an object."""
        state = {k: v for k, v in self.__dict__.items() if k != "optimizer"}
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None else _save_lambda(fn)
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom")
        self.__dict__.update(state_dict)
        _load_lambda(self._scale_fn_custom, fn)
        self._init_scale_fn()


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR: cosine annealing with warm restarts (Loshchilov & Hutter 2017).

        η_t = η_min + (η_max − η_min)(1 + cos(π T_cur / T_i)) / 2

    T_cur counts the epochs since the last restart; T_i starts at ``T_0`` and is multiplied by
    ``T_mult`` at every restart. ``step(epoch)`` accepts fractional epochs (e.g.
    ``epoch + i / iters``) and is not deprecated here, as in PyTorch.

    Args:
        optimizer: the wrapped Optimizer.
        T_0: epochs until the first restart (positive int).
        T_mult: growth factor of T_i after each restart (int ≥ 1, default 1).
        eta_min: minimum learning rate (default 0).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: expected positive integer T_0, "
                             f"got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: expected integer T_mult >= 1, "
                             f"got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"CosineAnnealingWarmRestarts: expected float eta_min, got "
                             f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to ``epoch`` (may be fractional)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: expected non-negative epoch, "
                                 f"got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # restarts so far: n with T_0 (T_mult^n − 1)/(T_mult − 1) ≤ epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2018): warm up to ``max_lr``, then anneal far below.

    Two phases by default (fastai): initial_lr = max_lr/div_factor → max_lr over
    ``pct_start · total_steps`` steps, then → initial_lr/final_div_factor. ``three_phase=True``
    follows the paper: up, back down to initial_lr symmetrically, then down to the minimum.
    Momentum (or β₁) moves inversely. Not chainable; call ``step()`` after every batch, at most
    ``total_steps`` times.

    Args:
        optimizer: the wrapped Optimizer.
        max_lr: peak lr, a float or one per group.
        total_steps: steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: total_steps = epochs · steps_per_epoch.
        pct_start: fraction of the cycle spent increasing the lr (float in [0, 1], default 0.3).
        anneal_strategy: "cos" (default) or "linear".
        cycle_momentum: cycle momentum inversely to the lr (default True).
        base_momentum: momentum at the peak lr (default 0.85).
        max_momentum: momentum at the start and end (default 0.95).
        div_factor: initial_lr = max_lr / div_factor (default 25).
        final_div_factor: min_lr = initial_lr / final_div_factor (default 1e4).
        three_phase: use the paper's three phases (default False).
        last_epoch: index of the last batch; see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: expected positive integer total_steps, got "
                                 f"{total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"OneCycleLR: expected positive integer epochs, got {epochs!r}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"OneCycleLR: expected positive integer steps_per_epoch, got "
                                 f"{steps_per_epoch!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps or both epochs and "
                             "steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected a float pct_start in [0, 1], got "
                             f"{pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"),
                (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _start_momentum_cycle(self, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step_num} times; total_steps is "
                             f"{self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._schedule_phases):
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        _set_momentum(group, self._anneal(group[m0], group[m1], pct),
                                      self.use_beta1)
                    break
                start_step = end_step
        return lrs
