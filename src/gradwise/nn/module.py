"""Module: the base class of every layer and model, with PyTorch's registration API.

A Module owns three ordered registries, filled by attribute assignment exactly as in PyTorch:

    self.weight = Parameter(...)     -> _parameters["weight"]
    self.fc = Linear(3, 4)           -> _modules["fc"]
    self.register_buffer("running_mean", t)  -> _buffers["running_mean"]

``state_dict()`` walks them recursively and names every entry with dotted paths
(``"fc.weight"``, ``"0.bias"``), so a PyTorch ``state_dict`` (converted with ``.numpy()``)
loads without renaming or transposes.
"""
from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from typing import Iterator, NamedTuple

import numpy as np

from ..core.device import check_device, is_device_spec
from ..core.tensor import Tensor, share_memory_together
from .parameter import Parameter


def _checking_device(init):
    """``init`` that first refuses a ``device=`` other than the CPU (gradwise.core.device)."""
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        check_device(bound.arguments.get("device"), type(self).__name__)
        init(self, *args, **kwargs)

    return wrapper


def _loadable(key, value, target):
    """(value as an array of target's shape and dtype, None) or (None, why it cannot load).

    Every conversion happens here, before load_state_dict copies anything, so a bad value under
    a later key cannot leave earlier parameters overwritten.
    """
    try:
        src = value.array if isinstance(value, Tensor) else np.asarray(value)
    except (TypeError, ValueError) as e:  # e.g. a ragged nested list
        return None, f"{key}: cannot read the value as an array ({e})"
    if src.shape != target.shape:
        return None, (f"size mismatch for {key}: copying a param with shape {tuple(src.shape)} "
                      f"from checkpoint, the shape in current model is {tuple(target.shape)}.")
    if src.dtype.kind not in "biuf":
        return None, (f"dtype mismatch for {key}: expected numbers castable to {target.dtype}, "
                      f"got dtype {src.dtype}")
    return src.astype(target.dtype, copy=False), None


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class RemovableHandle:
    """Returned by ``register_forward_hook``/``register_forward_pre_hook``; ``remove()`` undoes it."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class for layers and models (PyTorch's ``nn.Module`` API on NumPy).

    Subclasses call ``super().__init__()`` first, assign Parameters, sub-Modules and buffers as
    attributes, and implement ``forward``. Calling the module runs forward pre-hooks, ``forward``
    and forward hooks.
    """

    training: bool

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # gradwise's own layers check device= (Linear(..., device="cuda") raises); a user's
        # Module subclass keeps whatever meaning it gives its own `device` argument
        if (cls.__module__.startswith("gradwise.") and "__init__" in vars(cls)
                and "device" in inspect.signature(cls.__init__).parameters):
            cls.__init__ = _checking_device(cls.__init__)

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # -- forward -------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, args) -> None or new args`` runs before ``forward``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> RemovableHandle:
        """``hook(module, args, output) -> None or new output`` runs after ``forward``."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- registration --------------------------------------------------------------------------
    def _check_name(self, kind, name):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got "{name}"')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared-but-absent parameter such as a missing bias)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(gradwise.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (e.g. BatchNorm's running mean).

        Persistent buffers appear in ``state_dict``; ``tensor`` may be ``None``, a Tensor or an
        ndarray (wrapped in a Tensor that shares its memory).
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if isinstance(tensor, np.ndarray):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor, ndarray or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as ``self.<name>``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            if "_parameters" not in d:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif "_parameters" in d and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(gradwise.nn.Parameter or None expected)"
                )
            self._parameters[name] = None
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, self._parameters, self._buffers)
            self._modules[name] = value
        elif "_modules" in d and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(gradwise.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif "_buffers" in d and name in self._buffers:
            if isinstance(value, np.ndarray):
                value = Tensor(value)
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor, ndarray or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, d, *registries):
        d.pop(name, None)
        for reg in registries:
            reg.pop(name, None)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for reg in (self._parameters, self._buffers, self._modules):
            if name in reg:
                del reg[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` ("" is self)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}` (in '{target}')")
            mod = mod._modules[item]
        return mod

    # -- iteration -----------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield (dotted name, module) for self and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_prefix, module in modules:
            for name, value in get_members(module):
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """Yield (dotted name, Parameter); a parameter shared by two modules appears once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """An OrderedDict of every parameter and persistent buffer under PyTorch's key names.

        Values are Tensors detached from the graph that share memory with the module (as in
        PyTorch); ``keep_vars=True`` returns the Parameters themselves.
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Values may be Tensors, NumPy arrays or anything ``np.asarray`` accepts (e.g. a PyTorch
        tensor); each is cast to the dtype of the array it is copied into. Every key is checked
        before anything is copied, so a failed load leaves the module unchanged.

        Args:
            state_dict: mapping from dotted key (``"0.weight"``) to array.
            strict: if True, missing or unexpected keys are an error.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        Raises:
            ValueError: on a shape mismatch (always) or, when ``strict``, on missing or unexpected
                keys; the message names every offending key and the shapes. (PyTorch raises
                RuntimeError here.)
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, copies = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            src, error = _loadable(key, state_dict[key], target)
            if error:
                errors.append(error)
            else:
                copies.append((target, src))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise ValueError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for target, src in copies:  # same shape and dtype: these assignments cannot fail
            target.array[...] = src
            target._counter.bump()
        return IncompatibleKeys(missing, unexpected)

    # -- modes and utilities -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on self and every descendant (Dropout, BatchNorm read it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default, as in PyTorch) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every child (recursively), then on self; e.g. custom init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def share_memory(self) -> Module:
        """Move every parameter, existing ``.grad`` and buffer into shared memory, in place.

        The Parameter objects stay the same (an optimizer built earlier still updates them)
        and keep their values, dtype and shape; processes started afterwards, or given the
        module, update the same memory (Hogwild training, see ``gradwise.multiprocessing``).
        The tensors not yet shared go into one segment, so a model costs one mapping and two
        file descriptors, not two per parameter.
        """
        tensors = list(self.parameters()) + list(self.buffers())
        share_memory_together(tensors + [t.grad for t in tensors if t.grad is not None])
        return self

    def _cast(self, dtype) -> Module:
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"{type(self).__name__}.to: only floating dtypes are supported, "
                            f"got {dtype}")
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is None or not np.issubdtype(t.dtype, np.floating):
                    continue  # integer buffers (e.g. num_batches_tracked) keep their dtype
                t.array = t.array.astype(dtype, copy=False)
                if t.grad is not None:
                    t.grad.array = t.grad.array.astype(dtype, copy=False)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Cast floating parameters and buffers in place: ``to(np.float64)``, ``to(dtype=...)``.

        Device arguments (``"cpu"``) are accepted and ignored: gradwise runs on the CPU only.
        """
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None), f"{type(self).__name__}.to")
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if is_device_spec(a) or isinstance(a, int):
                check_device(a, f"{type(self).__name__}.to")
                continue
            if isinstance(a, Tensor):
                dtype = a.dtype
                continue
            dtype = a
        return self if dtype is None else self._cast(dtype)

    def float(self) -> Module:
        return self._cast(np.float32)

    def double(self) -> Module:
        return self._cast(np.float64)

    def half(self) -> Module:
        return self._cast(np.float16)

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda")

    # -- repr ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """One line of constructor settings, shown inside the parentheses of ``repr``."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
