"""Optimizer base class: parameter groups, per-parameter state, state_dict, zero_grad, step.

A subclass supplies the update rule for ONE parameter, ``_update(param, grad, state, group)``,
working on NumPy arrays in place; the base class walks the groups, skips parameters whose
``.grad`` is None and runs the closure. The state layout, ``state_dict()`` structure, defaults
and error conditions follow ``torch.optim.Optimizer``, so PyTorch training scripts port over
unchanged and a PyTorch optimizer ``state_dict`` loads into the matching gradwise optimizer.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict

import numpy as np

from ..core import Tensor, enable_grad, no_grad


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts, each dict a
            parameter group ``{"params": [...], <hyper-parameter overrides>}``.
        defaults: hyper-parameter values used by groups that do not set them.

    Attributes:
        param_groups: list of dicts; ``group["params"]`` is the list of Tensors of the group,
            every other key a hyper-parameter (schedulers change ``group["lr"]``).
        state: ``{param: {name: value}}``, the per-parameter buffers (Tensors) and step counts.
        defaults: the constructor's hyper-parameters.

    Differences from PyTorch: ``state_dict()`` returns copies of the state buffers and
    ``load_state_dict()`` copies what it loads (PyTorch hands out and keeps references, so a
    dict saved in memory changes as training continues); hyper-parameters of every added group
    are validated, not only the constructor's; ``lr`` must be a Python number (no Tensor lr).
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                f"got a single Tensor; wrap it in a list"
            )
        self.defaults = dict(defaults)
        self._check_hyperparameters(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- hyper-parameters ------------------------------------------------------------------
    #: Declarative bounds, checked for the defaults and for every added group:
    #: ``(name, low, high, high_open)``, high None for unbounded; ``betas`` is checked per entry.
    #: A rule that is not a bound (SGD's Nesterov) goes in an override that calls ``super()``.
    _bounds: tuple = ()
    _labels = {"lr": "learning rate", "eps": "epsilon value"}

    def _check_hyperparameters(self, hp):
        """Raise ValueError naming the optimizer for any value of ``hp`` outside ``_bounds``."""
        for name, low, high, high_open in self._bounds:
            if name == "betas":
                betas = hp[name]
                if len(betas) != 2:
                    raise self._invalid("betas", betas, "a pair (beta1, beta2)")
                for i, beta in enumerate(betas):
                    self._check_bound(f"beta parameter at index {i}", "beta", beta, low, high,
                                      high_open)
            else:
                self._check_bound(self._labels.get(name, f"{name} value"), name, hp[name], low,
                                  high, high_open)

    def _check_bound(self, what, name, value, low, high, high_open):
        # `not value >= low` is also True for NaN; bools are not hyper-parameter values
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if (not real or not value >= low or (high is not None and not (
                value < high if high_open else value <= high))):
            upper = "" if high is None else (f" < {high}" if high_open else f" <= {high}")
            lower = f"{name} >= {low}" if high is None else f"{low} <= {name}"
            raise self._invalid(what, value, lower + upper)

    def _invalid(self, what, value, expected):
        return ValueError(f"{type(self).__name__}: invalid {what}: {value} (expected {expected})")

    def add_param_group(self, param_group):
        """Add a parameter group, e.g. layers unfrozen during fine-tuning.

        Missing hyper-parameters are filled in from ``defaults``. Raises TypeError for a
        non-Tensor parameter or a set of parameters (sets have no order), ValueError for a
        non-leaf Tensor or a parameter already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{type(self).__name__}: param_group must be a dict, got "
                f"{type(param_group).__name__}"
            )
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{type(self).__name__}: optimizer parameters need to be organized in ordered "
                f"collections, but the ordering of tensors in sets changes between runs; "
                f"use a list instead"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    f"{type(self).__name__}: all optimizer params should be with/without "
                    f"names; some param names are missing"
                )
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: optimizer can only optimize Tensors, but one of "
                    f"the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor")
        param_group["params"] = params
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self._check_hyperparameters(param_group)

        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(
                f"{type(self).__name__}: a parameter group contains the same parameter twice"
            )
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                raise ValueError(
                    f"{type(self).__name__}: all optimizer param groups should be "
                    f"with/without names"
                )
        if taken.intersection(ids):
            raise ValueError(
                f"{type(self).__name__}: some parameters appear in more than one parameter group"
            )
        self.param_groups.append(param_group)

    # -- training loop ---------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients: set ``.grad`` to None (default) or fill it with zeros.

        With ``set_to_none=True`` a parameter that gets no gradient in the next backward keeps
        ``.grad is None`` and is skipped by ``step()``; a zero gradient is not skipped (weight
        decay and momentum still move the parameter), exactly as in PyTorch.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; return the closure's loss (or None).

        Args:
            closure: optional callable that re-evaluates the model (zero_grad, forward,
                backward) and returns the loss; it runs with gradient recording enabled.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._update(p, p.grad.array, self.state[p], group)
                    p._counter.bump()  # an in-place edit: graphs that saved p refuse backward
        self._opt_called = True  # read by lr schedulers to warn about a wrong call order
        return loss

    def _update(self, param, grad, state, group):
        """Update ``param.array`` in place from ``grad`` (an ndarray of the same shape)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    @staticmethod
    def _zeros_like(param):
        return Tensor(np.zeros_like(param.array))

    def _begin_update(self, param, grad, state, group, buffers=()):
        """The opening every adaptive ``_update`` shares (Adadelta, Adagrad, Adam, RMSprop).

        On the first step: ``state["step"] = 0`` and a zero Tensor for each name in
        ``buffers``. Then g ← −g (``maximize``), ``step += 1``, and weight decay λ:
        g ← g + λθ, or θ ← θ(1 − γλ) when the group has ``decoupled_weight_decay`` (AdamW).

        Returns: the gradient to use.
        """
        if not state:
            state["step"] = 0
            for name in buffers:
                state[name] = self._zeros_like(param)
        if group["maximize"]:
            grad = -grad
        state["step"] += 1
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            if group.get("decoupled_weight_decay", False):
                param.array *= 1 - group["lr"] * weight_decay
            else:
                grad = grad + weight_decay * param.array
        return grad

    # -- checkpoints -----------------------------------------------------------------------
    def state_dict(self):
        """The optimizer state in PyTorch's layout.

        Returns:
            ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}``
            where parameters are numbered 0, 1, ... in group order and state buffers are copied
            Tensors (``step`` is an int).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index and s:
                state[index[id(p)]] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict produced by ``state_dict()`` (gradwise's or PyTorch's).

        Parameters are matched by position: saved index ``i`` is the i-th parameter in group
        order. Array-valued state (gradwise Tensors, NumPy arrays, torch tensors) is copied and
        cast to the parameter's dtype; ``step`` becomes an int. Hyper-parameters, including
        ``lr``, come from the saved groups.

        Raises:
            ValueError: different number of groups, group sizes, or a state buffer whose shape
                differs from its parameter's.
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer has {len(self.param_groups)}"
            )
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(s['params'])} "
                    f"parameters in the state dict, expected {len(g['params'])}"
                )
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            id_map.update(zip(s["params"], g["params"]))

        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in id_map:
                continue
            param = id_map[key]
            state[param] = {
                k: _cast_value(param, k, v, f"{name}.load_state_dict: state[{key}][{k!r}]")
                for k, v in values.items()
            }
        param_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            new = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            new["params"] = g["params"]
            if "param_names" in g and "param_names" not in new:
                new["param_names"] = g["param_names"]
            for key, default in self.defaults.items():  # e.g. a dict saved by an older version
                new.setdefault(key, default)
            self._check_hyperparameters(new)
            param_groups.append(new)
        self.state = state
        self.param_groups = param_groups

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def lerp_(start, end, weight):
    """start ← start + weight·(end − start), in place, rounded like ``torch.lerp_``.

    Like PyTorch's kernel, weights ≥ 0.5 evaluate ``end − (end − start)(1 − weight)``, which
    is exact at weight 1 (the two forms differ only in rounding).
    """
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
    return start


def _copy_value(v):
    if isinstance(v, Tensor):
        return Tensor(v.array.copy())
    return copy.deepcopy(v)


def _cast_value(param, key, value, where):
    """A loaded state value as gradwise stores it: ``step`` an int, arrays a Tensor copy."""
    if key == "step":
        return int(float(np.asarray(value)))
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__array__"):
        array = np.asarray(value).astype(param.dtype, copy=True)  # also torch tensors
        if array.shape != param.shape:
            raise ValueError(f"{where} has shape {array.shape}, expected {param.shape}")
        return Tensor(array)
    return copy.deepcopy(value)
