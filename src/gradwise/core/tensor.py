"""Tensor: a NumPy array plus the autograd bookkeeping (requires_grad, grad, producing node).

Operators and methods such as ``+``, ``@``, ``.sum()`` and ``.reshape()`` are attached by
``gradwise.functional`` (see ``functional/methods.py``), so that imports flow core -> functional.
"""
from __future__ import annotations

import itertools
import mmap
import os
import weakref
from multiprocessing import context as _mp_context
from multiprocessing.reduction import DupFd, ForkingPickler

import numpy as np

from . import autograd
from .dtype import get_default_dtype, infer_array


class VersionCounter:
    """A count of in-place edits, shared by a tensor and the views that share its memory."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0

    def bump(self):
        self.value += 1


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autograd."""

    __slots__ = ("array", "requires_grad", "grad", "_node", "_index", "_vc",
                 "_hooks", "_post_accumulate_hooks", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        if type(data) is not np.ndarray:
            if isinstance(data, Tensor):
                data = data.array
            if not isinstance(data, np.ndarray):
                data = np.asarray(data)
        self.array = data
        self.grad = None
        self._node = None
        self._index = 0
        self._vc = None  # the VersionCounter, made when first asked for (see _counter)
        self._hooks = None  # a leaf's {handle id: hook(grad)}; a non-leaf's live on its node
        self._post_accumulate_hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- data and versions -----------------------------------------------------------------
    @property
    def data(self):
        """This tensor's values as a new leaf cut from autograd, sharing memory (PyTorch's
        ``.data``). In-place edits through it bump this tensor's version, so a backward that
        needs the old values raises instead of computing with the new ones."""
        return _shared_view(self)

    @data.setter
    def data(self, value):
        value = value.array if isinstance(value, Tensor) else np.asarray(value)
        if value.shape != self.shape:
            raise ValueError(f".data = ...: new value has shape {value.shape}, tensor has "
                             f"{self.shape}")
        self.array = value
        self._counter.bump()

    @property
    def _counter(self):
        """The VersionCounter of this tensor's memory, shared with ``.data`` and ``detach()``;
        made on first use, since most op outputs are never edited in place nor saved."""
        counter = self._vc
        if counter is None:
            counter = self._vc = VersionCounter()
        return counter

    @_counter.setter
    def _counter(self, counter):
        self._vc = counter

    @property
    def _version(self):
        """How many in-place edits this tensor's memory has had (PyTorch's ``_version``)."""
        return self._counter.value

    # -- properties ------------------------------------------------------------------------
    @property
    def shape(self):
        return self.array.shape

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim=None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self):
        return self.array.ndim

    def numel(self):
        return self.array.size

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    # -- conversion ------------------------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()."
            )
        return self.array

    def item(self):
        if self.array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python scalar, "
                f"got shape {self.shape}"
            )
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"Boolean value of a Tensor with {self.array.size} values is ambiguous"
            )
        return bool(self.array)

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def astype(self, dtype):
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return Tensor(self.array.astype(np.int64))

    def int(self):
        return Tensor(self.array.astype(np.int32))

    def bool(self):
        return Tensor(self.array.astype(np.bool_))

    # -- autograd --------------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not np.issubdtype(self.array.dtype, np.inexact):
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new leaf sharing this tensor's memory and version counter, cut from the graph."""
        return _shared_view(self)

    def detach_(self):
        self._node, self._index, self.requires_grad = None, 0, False
        return self

    def retain_grad(self):
        """Keep .grad for this non-leaf tensor after backward (a leaf always keeps it)."""
        if self._node is not None:
            if self._node.retained is None:
                self._node.retained = {}
            self._node.retained[self._index] = self
        elif not self.requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")

    def _accumulate_grad(self, g):
        if self.grad is None:
            self.grad = Tensor(np.array(g, dtype=self.dtype, copy=True))
        else:
            self.grad.array = self.grad.array + g
        if self._post_accumulate_hooks:
            for hook in tuple(self._post_accumulate_hooks.values()):
                hook(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient with respect to this tensor is computed.

        ``hook`` gets the gradient as a Tensor and returns None or a Tensor of the same shape
        and dtype that replaces it, both for the rest of backward and for ``.grad`` (of a
        leaf, or of a non-leaf that called ``retain_grad()``). Hooks run in registration order.
        A leaf's hooks run once on the sum of its incoming gradients, before it is added to
        ``.grad``.

        Returns: a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
        if self._node is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:  # like torch, the hook belongs to the grad_fn output this tensor is
            if self._node.pre_hooks is None:
                self._node.pre_hooks = {}
            hooks = self._node.pre_hooks.setdefault(self._index, {})
        return _HookHandle.add(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a gradient is added to this leaf's ``.grad`` (PyTorch's
        name). Unlike PyTorch, which sums a leaf's incoming gradients first, the hook runs once
        per incoming gradient: k times for a leaf used k times in the graph.

        Returns: a handle whose ``remove()`` unregisters the hook."""
        if not self.is_leaf:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = {}
        return _HookHandle.add(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape "
                    f"{self.shape}: pass gradient= of that shape"
                )
            g = np.ones_like(self.array)
        else:
            g = np.asarray(gradient.array if isinstance(gradient, Tensor) else gradient)
            if g.shape != self.shape:
                raise ValueError(
                    f"backward: gradient has shape {g.shape}, expected the output's {self.shape}"
                )
            g = g.astype(self.dtype, copy=False)
        autograd.run_backward(self, g, retain_graph=retain_graph)

    # -- shared memory (gradwise.multiprocessing) --------------------------------------------
    def share_memory_(self):
        """Move the values into memory that child processes share (no-op if already shared).

        Afterwards a process started with the 'fork' method writes into the same memory, and
        one started with 'spawn' or 'forkserver' (or reached through a ``Queue``) maps it
        when the tensor is passed to it, so in-place updates (``optimizer.step()``) are seen
        by every process. Like PyTorch, the tensor object stays the same; only its memory
        moves. The memory is an anonymous file (``memfd_create``): nothing appears under
        /dev/shm, and the kernel frees it when the last process drops the tensor.

        Returns: self.
        """
        share_memory_together((self,))
        return self

    def is_shared(self):
        """Whether the values live in shared memory (``share_memory_()`` or a received tensor)."""
        return _segment_of(self.array) is not None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        ForkingPickler.register(cls, _reduce_for_process)  # e.g. nn.Parameter

    # -- in-place edits ---------------------------------------------------------------------
    # Every in-place path bumps the version counter; a node that saved this tensor's memory
    # checks the counter in backward (see ``autograd``).
    def _write(self, values):
        """Overwrite every element with ``values`` (broadcast), outside autograd."""
        if autograd.is_grad_enabled() and self.requires_grad:
            self._refuse_leaf_inplace()
            self._node, self._index, self.requires_grad = None, 0, False  # no longer graph values
        self.array[...] = values
        self._counter.bump()
        return self

    def _refuse_leaf_inplace(self):
        if self.is_leaf:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation: "
                "wrap it in `with gw.no_grad():` or write through `.data`"
            )

    def _inplace(self, op, *args, **kwargs):
        """Apply the out-of-place ``op(self, *args)`` and store the result in this tensor's memory.

        With autograd recording, the result's history replaces this tensor's (the op reads a
        copy of the old values, so its own saved arrays stay valid)."""
        track = autograd.is_grad_enabled() and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        )
        if not track:
            with autograd.no_grad():
                out = op(self, *args, **kwargs)
            return self._store(out, op)
        if self.requires_grad:
            self._refuse_leaf_inplace()
        old = Tensor(self.array.copy())
        old._node, old._index, old.requires_grad = self._node, self._index, self.requires_grad
        out = op(old, *args, **kwargs)
        self._store(out, op)
        self._node, self._index, self.requires_grad = out._node, out._index, out.requires_grad
        return self

    def _store(self, out, op):
        name = getattr(op, "__name__", "op")
        if out.shape != self.shape:
            raise RuntimeError(f"in-place {name}: result of shape {out.shape} does not fit the "
                               f"tensor's shape {self.shape}")
        if out.dtype != self.dtype and not np.can_cast(out.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"in-place {name}: result type {out.dtype} can't be cast to the "
                               f"tensor's dtype {self.dtype}")
        self.array[...] = out.array
        self._counter.bump()
        return self

    def zero_(self):
        return self._write(0)

    def fill_(self, value):
        return self._write(value.array if isinstance(value, Tensor) else value)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import default_generator

        return self._write((generator or default_generator()).uniform(a, b, self.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import default_generator

        return self._write((generator or default_generator()).normal(mean, std, self.shape))

    def __repr__(self):
        body = np.array2string(self.array, separator=", ", prefix="tensor(", precision=4)
        extra = ""
        if self.array.dtype not in (get_default_dtype(), np.int64, np.bool_):
            extra += f", dtype={self.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__


class _HookHandle:
    """What ``register_hook`` returns: ``remove()`` (or leaving a ``with`` block) unregisters
    the one hook it added, even when the same function was registered twice."""

    __slots__ = ("hooks", "id")
    _ids = itertools.count()

    def __init__(self, hooks, key):
        self.hooks, self.id = hooks, key

    @classmethod
    def add(cls, hooks, hook):
        key = next(cls._ids)
        hooks[key] = hook
        return cls(hooks, key)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_new = object.__new__


def _op_output(array, node, index):
    """A Tensor for output ``index`` of ``node`` (None: a result recorded by no node), built
    slot by slot: apply_op calls this once per output, and ``Tensor(...)`` costs twice as much.
    Only floating outputs carry a gradient."""
    if type(array) is not np.ndarray:
        array = array.array if isinstance(array, Tensor) else np.asarray(array)
    t = _new(Tensor)
    t.array = array
    t.grad = t._hooks = t._post_accumulate_hooks = t._vc = None
    if node is not None and array.dtype.kind in "fc":
        t.requires_grad, t._node, t._index = True, node, index
    else:
        t.requires_grad, t._node, t._index = False, None, 0
    return t


autograd.Tensor = Tensor
autograd._output = _op_output


class _SharedSegment(mmap.mmap):
    """A MAP_SHARED mapping of an anonymous memfd file, whose descriptor ``fd`` stays open so
    the segment can be handed to a spawned process; ``fd`` is -1 (an anonymous mapping that
    only forked children share) where ``os.memfd_create`` is missing. The descriptor closes
    when the mapping is garbage-collected (mmap keeps a second, private one meanwhile)."""

    def __new__(cls, nbytes, fd=None):
        if fd is None:
            fd = os.memfd_create("gradwise", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else -1
            if fd >= 0:
                os.ftruncate(fd, nbytes)
        self = super().__new__(cls, fd, nbytes)
        self.fd = fd
        self.address = np.frombuffer(self, np.uint8, count=1).ctypes.data
        if fd >= 0:
            weakref.finalize(self, os.close, fd)
        return self


_ALIGN = 64  # bytes: every array in a segment starts on a cache line


def share_memory_together(tensors):
    """Move the tensors not yet shared into ONE new shared segment (Module.share_memory):
    one descriptor pair and one mapping per model instead of one per parameter."""
    todo = [t for t in tensors if _segment_of(t.array) is None]
    for t in todo:
        if t.array.dtype.hasobject:
            raise TypeError(f"share_memory_: a {t.dtype} array holds Python objects, which "
                            f"cannot live in shared memory")
    if not todo:
        return
    offsets, end = [], 0
    for t in todo:
        offsets.append(end)
        end += -(-max(t.array.nbytes, 1) // _ALIGN) * _ALIGN
    segment = _SharedSegment(end)
    for t, offset in zip(todo, offsets):
        out = np.ndarray(t.shape, t.dtype, buffer=segment, offset=offset)
        out[...] = t.array
        t.array = out


def _segment_of(array):
    """The _SharedSegment that holds ``array``'s memory, or None."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return base if isinstance(base, _SharedSegment) else None


def _reduce_for_process(t):
    """How multiprocessing pickles a Tensor: a shared one travels as a duplicated descriptor
    of its segment (mapped again by the receiver, PyTorch's 'file_descriptor' strategy), any
    other one by value."""
    segment = _segment_of(t.array)
    if segment is None:
        return t.__reduce_ex__(4)
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries. If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the queue)."
        )
    if segment.fd < 0:
        raise RuntimeError(f"{type(t).__name__}.share_memory_: this platform has no "
                           f"os.memfd_create, so shared tensors reach only children started "
                           f"with the 'fork' method; they cannot be pickled to another process")
    a = t.array
    offset = a.__array_interface__["data"][0] - segment.address
    return _rebuild_shared, (type(t), _dup_fd(segment.fd), len(segment), offset, a.shape,
                             a.strides, a.dtype, t.requires_grad)


def _dup_fd(fd):
    """multiprocessing's DupFd, except that a descriptor already passed to the process being
    spawned (a model's other parameters) is named again instead of being passed twice,
    which the spawn launcher refuses ("bad value(s) in fds_to_keep")."""
    popen = _mp_context.get_spawning_popen()
    if popen is not None and fd in getattr(popen, "_fds", ()):
        return popen.DupFd(fd)
    return DupFd(fd)


_RECEIVED = weakref.WeakValueDictionary()  # memfd inode -> its mapping in this process


def _rebuild_shared(cls, dup_fd, nbytes, offset, shape, strides, dtype, requires_grad):
    fd = dup_fd.detach()
    inode = os.fstat(fd).st_ino
    segment = _RECEIVED.get(inode)
    if segment is None:  # the first tensor of this segment to arrive: map it
        segment = _RECEIVED[inode] = _SharedSegment(nbytes, fd)
    elif fd != segment.fd:  # e.g. another parameter of a model: reuse the mapping
        os.close(fd)
    array = np.ndarray(shape, dtype, buffer=segment, offset=offset, strides=strides)
    return cls(array, requires_grad=requires_grad)


ForkingPickler.register(Tensor, _reduce_for_process)


def _shared_view(t):
    out = Tensor(t.array)
    out._counter = t._counter
    return out


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (Python floats -> default dtype)."""
    from .device import check_device

    check_device(device, "tensor")
    if isinstance(data, Tensor):
        data = data.array
    return Tensor(infer_array(data, dtype), requires_grad=requires_grad)


def from_numpy(array):
    """A tensor that shares memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_array(x, dtype=None):
    """The ndarray behind a Tensor, array or scalar."""
    if isinstance(x, Tensor):
        return x.array
    return np.asarray(x, dtype=dtype)
