"""Learning-rate schedules that rewrite ``group["lr"]`` of an optimizer's parameter groups.

Call ``scheduler.step()`` once per epoch (or per iteration), AFTER ``optimizer.step()``. The
recursive ("chainable") formulas, ``last_epoch`` bookkeeping, ``get_last_lr()`` and
``state_dict()`` follow ``torch.optim.lr_scheduler`` so the learning-rate sequences are equal
to PyTorch's, bit for bit.
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter

from .optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch): call "
    "`scheduler.step()` without it. With an epoch, the closed form is used where available."
)


def _per_group(owner, name, optimizer, value):
    """One value per parameter group: a list of the right length, or a scalar repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: expected {n} values of {name} (one per param group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


def _check_fraction(owner, name, value, low_open=False):
    """Refuse a factor outside [0, 1], or outside (0, 1] when ``low_open``."""
    if value > 1.0 or value < 0 or (low_open and value == 0):
        raise ValueError(f"{owner}: {name} must be in {'(0, 1]' if low_open else '[0, 1]'}, "
                         f"got {value}")


def _state_with_items(scheduler, key, save):
    """The scheduler's attributes but the optimizer, the list attribute ``key`` saved item by
    item with ``save(item)`` (wrapped schedulers, lr lambdas)."""
    state = {k: v for k, v in scheduler.__dict__.items() if k not in ("optimizer", key)}
    state[key] = [save(item) for item in getattr(scheduler, key)]
    return state


def _load_state_with_items(scheduler, state_dict, key, load):
    """Undo ``_state_with_items``: ``load(item, saved)`` for each item; state_dict is not changed."""
    state_dict = dict(state_dict)
    saved = state_dict.pop(key)
    scheduler.__dict__.update(state_dict)
    for item, value in zip(getattr(scheduler, key), saved):
        load(item, value)


class LRScheduler:
    """Base class: stores ``base_lrs`` (the ``initial_lr`` of every group) and ``last_epoch``.

    Args:
        optimizer: the wrapped Optimizer.
        last_epoch: index of the last epoch seen; -1 (default) starts a new schedule and sets
            ``group["initial_lr"]``; a value ≥ 0 resumes and requires ``initial_lr`` in every
            group (e.g. from a loaded optimizer state_dict).

    Subclasses implement ``get_lr()``, the next lrs computed from the current ones.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{i}] when resuming with last_epoch={last_epoch}; load "
                        f"the optimizer state first or use last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()  # sets the lrs for epoch last_epoch + 1
        self._is_initial = False

    def get_lr(self):
        """The lrs for epoch ``last_epoch`` (already incremented), one per group."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs set by the most recent ``step()``, one per parameter group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one epoch and write the new lrs into the optimizer's groups.

        Args:
            epoch: deprecated, as in PyTorch; sets ``last_epoch`` and uses the closed form.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`; call them "
                "in the opposite order, otherwise the first value of the schedule is skipped",
                UserWarning, stacklevel=2,
            )
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


def _save_lambda(fn):
    return None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()


def _load_lambda(fn, saved):
    if saved is not None:
        fn.__dict__.update(saved)


class _LambdaScheduler(LRScheduler):
    """One ``lr_lambda`` per group (LambdaLR, MultiplicativeLR). ``state_dict()`` stores the
    ``__dict__`` of callable objects but not of plain functions or lambdas (which cannot be
    serialised), like PyTorch."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        name = type(self).__name__
        self.optimizer = optimizer
        self.lr_lambdas = _per_group(name, "lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"{name}: lr_lambda should be a function, got "
                                f"{type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        return _state_with_items(self, "lr_lambdas", _save_lambda)

    def load_state_dict(self, state_dict):
        _load_state_with_items(self, state_dict, "lr_lambdas", _load_lambda)


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr · lr_lambda(epoch).

    Args:
        optimizer: the wrapped Optimizer.
        lr_lambda: a function of the epoch index, or a list with one per parameter group.
        last_epoch: see :class:`LRScheduler`.
    """

    def get_lr(self):
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the current lr by ``lr_lambda(epoch)`` every epoch: lr_t = lr_{t-1} · λ(t).

    Takes the same arguments as :class:`LambdaLR`.
    """

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: lr = lr₀ · γ^⌊epoch/step_size⌋.

    Args:
        optimizer: the wrapped Optimizer.
        step_size: period of the decay, in epochs (> 0).
        gamma: multiplicative factor (default 0.1).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not step_size > 0:
            raise ValueError(f"StepLR: step_size must be > 0, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone epoch (a milestone listed k times: γᵏ).

    Args:
        optimizer: the wrapped Optimizer.
        milestones: epoch indices.
        gamma: multiplicative factor (default 0.1).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: lr = initial_lr · γ^epoch.

    Args:
        optimizer: the wrapped Optimizer.
        gamma: multiplicative factor.
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` until epoch ``total_iters``, then restore it.

        lr_t = initial_lr · (factor if t < total_iters else 1)

    Args:
        optimizer: the wrapped Optimizer.
        factor: the multiplier while active, in [0, 1] (default 1/3).
        total_iters: the epoch at which the factor is undone (default 5).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        _check_fraction("ConstantLR", "factor", factor)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr polynomially to 0 over ``total_iters`` epochs, then keep it.

        lr_t = initial_lr · (1 − min(t, total_iters) / total_iters)^power

    computed recursively from the current lr, as PyTorch does.

    Args:
        optimizer: the wrapped Optimizer.
        total_iters: number of epochs of the decay (default 5).
        power: the exponent (default 1.0, a linear decay).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        t, T = self.last_epoch, self.total_iters
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power  # f_t / f_{t-1}
        return [lr * decay for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing (SGDR without restarts, Loshchilov & Hutter 2017).

        η_t = η_min + (η_max − η_min)(1 + cos(π t / T_max)) / 2

    computed recursively from the current lr as PyTorch does (so an lr changed from outside
    is respected); past T_max the lr rises again along the same cosine.

    Args:
        optimizer: the wrapped Optimizer.
        T_max: half period, in epochs.
        eta_min: minimum learning rate (default 0).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - eta_min) + eta_min
                for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    Args:
        optimizer: the wrapped Optimizer.
        mode: "min" (the metric should decrease, e.g. a loss) or "max" (e.g. accuracy).
        factor: new_lr = lr · factor, factor < 1 (default 0.1).
        patience: number of epochs without improvement tolerated before reducing (default 10).
        threshold: minimum change that counts as an improvement (default 1e-4).
        threshold_mode: "rel" (best · (1 ∓ threshold)) or "abs" (best ∓ threshold).
        cooldown: epochs to wait after a reduction before counting bad epochs again.
        min_lr: lower bound on the lr, a float or one per group.
        eps: a reduction smaller than eps is skipped (default 1e-8).

    Call ``scheduler.step(metric)`` after each validation.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: {type(optimizer).__name__} is not an Optimizer")
        self.factor = factor
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):  # noqa: D417 (same signature as PyTorch)
        """Record one value of the monitored metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} param groups but "
                    f"min_lr has {len(self.min_lrs)} values (a group was added); update min_lrs"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError(
                f"ReduceLROnPlateau: mode {mode!r} is unknown, expected 'min' or 'max'"
            )
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode!r} is unknown, "
                f"expected 'rel' or 'abs'"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


_LRScheduler = LRScheduler  # PyTorch's old (deprecated) name

from .schedulers_extra import (  # noqa: E402 (the extra schedulers subclass LRScheduler above)
    ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLR, LinearLR, OneCycleLR, SequentialLR,
)
