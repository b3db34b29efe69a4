"""Reverse-mode autograd: one graph node per op, a topological walk for backward.

An op is a pair of pure NumPy functions (see ``functional``):

    forward(*arrays, **config)  -> (out, cache)      out: array or tuple of arrays
    backward(grad_out, cache)   -> grads             one per positional input (None allowed)

``apply_op`` runs the forward on the arrays behind the Tensor arguments and, when a gradient is
needed, records a ``Node`` that holds the cache and calls ``backward`` later. ``backward`` walks
the nodes reachable from the root once, in reverse topological order, and frees each cache
unless ``retain_graph=True``.
"""
from __future__ import annotations

import contextvars
import functools
import inspect

import numpy as np

# Grad mode, per thread as in PyTorch: a new thread starts with an empty context, so with the
# default (True). Reading a ContextVar costs under half of a threading.local attribute.
_grad_enabled = contextvars.ContextVar("gradwise_grad_enabled", default=True)
_grad_mode = _grad_enabled.get

# While an exporter traces a model (gradwise.onnx), a callable
# ``tracer(name, inputs, config, outputs)`` that sees every op apply_op runs; None otherwise.
tracer = None


def is_grad_enabled() -> bool:
    return _grad_mode()


def set_grad_enabled(mode: bool) -> None:
    _grad_enabled.set(bool(mode))


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # bare ``@no_grad`` decorates fn directly

    def __enter__(self):
        self._prev = is_grad_enabled()
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording: ``with gw.no_grad(): ...``, ``@gw.no_grad()`` or ``@gw.no_grad``."""

    mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a ``no_grad`` block."""

    mode = True


class Node:
    """One recorded op: its backward, its cache and where each input's gradient goes.

    ``edges[i]`` is ``(tensor, producer_node, output_index)`` for a Tensor input that requires
    a gradient (producer ``None`` for a leaf), taken when the op ran, so that an in-place op
    that later rewrites the tensor's history does not reroute this op's gradient. ``saved``
    holds ``(version_counter, version, label)`` for every input or output whose memory the
    cache keeps; backward refuses to run if any of them was edited in place since.
    """

    __slots__ = ("name", "backward", "cache", "inputs", "edges", "saved", "out_meta",
                 "retained", "pre_hooks", "freed")

    def __init__(self, name, backward, cache, inputs, edges, out_meta):
        self.name = name
        self.backward = backward
        self.cache = cache
        self.inputs = inputs  # positional args as given: Tensor, array, scalar or None
        self.edges = edges
        self.saved = ()
        self.out_meta = out_meta  # [(shape, dtype)] per output; None for a single output
        self.retained = None  # {output index: Tensor whose .grad must be kept} (retain_grad)
        self.pre_hooks = None  # {output index: {handle id: hook}} (Tensor.register_hook)
        self.freed = False

    def __repr__(self):
        return f"<{self.name}Backward>"

    def check_versions(self):
        for counter, version, label in self.saved:
            if counter.value != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: {label} of {self!r} is at version "
                    f"{counter.value}; expected version {version} instead"
                )


_CONTAINERS = (tuple, list, dict)
_ndarray = np.ndarray


def _cache_roots(cache):
    """ids of the memory owners of the arrays a cache holds (two levels of tuples, dicts)."""
    if isinstance(cache, _ndarray):
        return {id(cache if cache.base is None else cache.base)}
    roots = set()
    if isinstance(cache, _CONTAINERS):
        for item in cache.values() if type(cache) is dict else cache:
            if isinstance(item, _ndarray):
                roots.add(id(item if item.base is None else item.base))
            elif isinstance(item, _CONTAINERS):
                for sub in item.values() if type(item) is dict else item:
                    if isinstance(sub, _ndarray):
                        roots.add(id(sub if sub.base is None else sub.base))
    return roots


def _saved_versions(cache, inputs, outputs):
    """The version of every input and output whose memory ``cache`` holds (the scan, for a
    forward that does not declare what it saves with ``saves``)."""
    roots = _cache_roots(cache)
    if not roots:
        return ()
    saved = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            a = x.array
            if id(a if a.base is None else a.base) in roots:
                counter = x._counter
                saved.append((counter, counter.value, f"input {i}"))
    for i, t in enumerate(outputs):
        a = t.array
        if id(a if a.base is None else a.base) in roots:
            saved.append((t._counter, 0, f"output {i}"))
    return tuple(saved)


def _declared_versions(saved_inputs, saved_outputs, inputs, outputs):
    """The version of each input and output that a ``saves`` declaration names."""
    saved = []
    for i in saved_inputs:
        x = inputs[i]
        if isinstance(x, Tensor):
            counter = x._counter
            saved.append((counter, counter.value, _INPUT_LABELS[i]))
    for i in saved_outputs:
        saved.append((outputs[i]._counter, 0, _OUTPUT_LABELS[i]))
    return tuple(saved)


_INPUT_LABELS = tuple(f"input {i}" for i in range(16))
_OUTPUT_LABELS = tuple(f"output {i}" for i in range(16))


def saves(inputs=(), outputs=()):
    """Declare which inputs and outputs a forward's cache keeps (by position): the engine then
    records the versions of exactly these instead of scanning the cache for arrays.

    A forward whose cache holds only shapes and scalars declares ``saves()``. The declaration
    must name every Tensor input and output whose memory (or a view of it) the cache holds,
    else an in-place edit of the unnamed one goes unnoticed; a forward without a declaration
    gets the scan. Up to 16 inputs and outputs.
    """
    inputs, outputs = tuple(inputs), tuple(outputs)
    if any(not 0 <= i < 16 for i in inputs + outputs):
        raise ValueError(f"saves: positions must be in 0..15, got {inputs} and {outputs}")

    def mark(forward):
        forward.saved_inputs, forward.saved_outputs = inputs, outputs
        return forward

    return mark


_SPECS = {}


def _op_spec(forward):
    """What apply_op needs to know of ``forward``, looked up once per function: its default
    name, whether it takes ``needs_input_grad``, and its ``saves`` declaration (None: scan)."""
    spec = _SPECS.get(forward)
    if spec is None:
        try:
            wants = "needs_input_grad" in inspect.signature(forward).parameters
        except (TypeError, ValueError):
            wants = False
        name = getattr(forward, "__name__", type(forward).__name__).removesuffix("_forward")
        spec = _SPECS[forward] = (name, wants, getattr(forward, "saved_inputs", None),
                                  getattr(forward, "saved_outputs", ()))
    return spec


Tensor = None  # gradwise.core.tensor.Tensor, set by that module when it loads
_output = None  # gradwise.core.tensor._op_output(array, node, index), set likewise
_new = object.__new__


def apply_op(forward, backward, *inputs, name=None, **config):
    """Run ``forward`` on the inputs' arrays and record ``backward`` for autograd.

    Args:
        forward, backward: the op's pure NumPy pair.
        *inputs: positional arguments; Tensors are differentiable inputs, anything else
            (arrays, scalars, None) is passed through unchanged.
        name: name shown in ``grad_fn`` (defaults to the forward's name).
        **config: non-differentiable keyword arguments for ``forward``.

    Returns:
        a Tensor, or a tuple of Tensors when ``forward`` returns a tuple.
    """
    # This runs once per op: plain loops, local names and direct slot access, measured in
    # benchmarks/bench_overhead.py (a comprehension or a property call costs ~0.3 µs here).
    spec = _SPECS.get(forward)
    if spec is None:
        spec = _op_spec(forward)
    arrays, edges = [], []
    grad_mode = _grad_mode()
    needs_grad = False
    for x in inputs:
        if isinstance(x, Tensor):
            arrays.append(x.array)
            if grad_mode and x.requires_grad:
                needs_grad = True
                edges.append((x, x._node, x._index))
                continue
        else:
            arrays.append(x)
        edges.append(None)
    if spec[1]:
        config["needs_input_grad"] = tuple([e is not None for e in edges])
    out, cache = forward(*arrays, **config) if config else forward(*arrays)
    multi = type(out) is tuple
    if not needs_grad:
        if multi:
            tensors = tuple([_output(o, None, 0) for o in out])
        else:
            tensors = _output(out, None, 0)
        if tracer is not None:
            tracer(name or spec[0], inputs, config, tensors if multi else (tensors,))
        return tensors
    node = _new(Node)
    node.name = name or spec[0]
    node.backward = backward
    node.cache = cache
    node.inputs = inputs
    node.edges = tuple(edges)
    node.retained = node.pre_hooks = None
    node.freed = False
    if multi:
        node.out_meta = [(o.shape, o.dtype) for o in out]
        tensors = tuple([_output(o, node, i) for i, o in enumerate(out)])
    else:  # _output inlined for the common case, one call less per op
        node.out_meta = None
        if type(out) is not _ndarray:
            out = np.asarray(out)
        t = _new(Tensor)
        t.array = out
        t.grad = t._hooks = t._post_accumulate_hooks = t._vc = None
        if out.dtype.kind in "fc":
            t.requires_grad, t._node, t._index = True, node, 0
        else:
            t.requires_grad, t._node, t._index = False, None, 0
        tensors = (t,)
    saved_inputs = spec[2]
    if saved_inputs is None:
        node.saved = _saved_versions(cache, inputs, tensors)
    elif saved_inputs or spec[3]:
        node.saved = _declared_versions(saved_inputs, spec[3], inputs, tensors)
    else:
        node.saved = ()
    return tensors if multi else tensors[0]


def _dependencies(root_node):
    """For each node reachable from root_node, how many gradient edges lead into its outputs
    from the nodes reachable from root_node: backward runs a node once that count is zero."""
    deps = {root_node: 0}
    stack = [root_node]
    while stack:
        for edge in stack.pop().edges:
            if edge is not None:
                producer = edge[1]
                if producer is not None:
                    if producer in deps:
                        deps[producer] += 1
                    else:
                        deps[producer] = 1
                        stack.append(producer)
    return deps


def run_backward(root, gradient, retain_graph=False):
    """Backpropagate ``gradient`` (an array shaped like root) through root's graph.

    Nodes run once every consumer of their outputs has handed its gradient back (a count per
    node, as in PyTorch's engine). Gradients wait in ``grads`` keyed by the producing node:
    one array for a single-output node, a list per output otherwise; each is summed as
    consumers hand theirs back. A non-leaf's hooks run on its summed gradient just before its
    node's backward; a leaf with hooks collects its gradients until the walk ends, then its
    hooks run once on the sum and the result goes into ``.grad`` (PyTorch runs them when the
    leaf's last consumer is done; the values are the same, only the order relative to other
    leaves' hooks may differ).
    """
    if root._node is None:
        if root.requires_grad:  # a leaf: d root / d root
            root._accumulate_grad(apply_grad_hooks(root._hooks, gradient))
        return
    # One loop for the whole graph, per node and per edge: local names, no helper calls in
    # the common case (a single-output producer, a leaf without hooks), measured in
    # benchmarks/bench_overhead.py.
    deps = _dependencies(root._node)
    grads = {}
    hooked_leaves = {}  # id -> [leaf, summed gradient]: a leaf hook sees the total, as in torch
    _hand_back(grads, root._node, root._index, gradient)
    ready = [root._node]
    while ready:
        node = ready.pop()
        if node.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time ({node!r}): the saved "
                "arrays were freed after the first backward. Pass retain_graph=True to the "
                "first backward() if you need to call it twice."
            )
        edges = node.edges
        g_out = grads.pop(node, None)
        if g_out is None:  # no gradient reached this node: only release its producers
            for edge in edges:
                if edge is not None and edge[1] is not None:
                    left = deps[edge[1]] - 1
                    deps[edge[1]] = left
                    if not left:
                        ready.append(edge[1])
            continue
        if node.out_meta is not None:
            g_out = tuple(np.zeros(shape, dtype) if g is None else g
                          for g, (shape, dtype) in zip(g_out, node.out_meta))
        if node.pre_hooks:
            if node.out_meta is None:
                g_out = apply_grad_hooks(node.pre_hooks.get(0), g_out)
            else:
                g_out = tuple(apply_grad_hooks(node.pre_hooks.get(i), g)
                              for i, g in enumerate(g_out))
        if node.retained:  # after the hooks, so .grad holds the hooked value (torch's order)
            for i, t in node.retained.items():
                t._accumulate_grad(g_out if node.out_meta is None else g_out[i])
        if node.saved:
            node.check_versions()
        in_grads = node.backward(g_out, node.cache)
        if type(in_grads) is not tuple and type(in_grads) is not list:
            in_grads = (in_grads,)
        if len(in_grads) != len(edges):
            raise AssertionError(
                f"{node!r} returned {len(in_grads)} gradients for {len(edges)} inputs"
            )
        for edge, g in zip(edges, in_grads):
            if edge is None:
                continue
            x, producer, index = edge
            if g is not None:
                a = x.array
                if g.shape != a.shape:
                    raise AssertionError(f"{node!r} returned a gradient of shape {g.shape} "
                                         f"for an input of shape {a.shape}")
                if g.dtype is not a.dtype and g.dtype != a.dtype:  # dtypes are mostly shared
                    raise AssertionError(
                        f"{node!r} returned a {g.dtype} gradient for a {a.dtype} input: a "
                        "kernel must keep its inputs' dtypes"
                    )
                if producer is None:
                    if x._hooks:
                        pending = hooked_leaves.get(id(x))
                        if pending is None:
                            hooked_leaves[id(x)] = [x, g]
                        else:
                            pending[1] = pending[1] + g
                    elif x.grad is not None and not x._post_accumulate_hooks:
                        x.grad.array = x.grad.array + g  # Tensor._accumulate_grad inlined
                    else:
                        x._accumulate_grad(g)
                    continue
                if producer.out_meta is None:  # _hand_back inlined
                    prev = grads.get(producer)
                    grads[producer] = g if prev is None else prev + g
                else:
                    _hand_back(grads, producer, index, g)
            elif producer is None:
                continue
            left = deps[producer] - 1
            deps[producer] = left
            if not left:
                ready.append(producer)
        if not retain_graph:
            node.cache = None
            node.freed = True
    for x, g in hooked_leaves.values():
        x._accumulate_grad(apply_grad_hooks(x._hooks, g))


def apply_grad_hooks(hooks, g):
    """Pass ``g`` through each ``hook(grad)`` in registration order; a non-None return value
    (Tensor or array of g's shape and dtype) replaces the gradient (Tensor.register_hook)."""
    if not hooks:
        return g
    for hook in tuple(hooks.values()):  # a hook may remove itself
        out = hook(Tensor(g))
        if out is None:
            continue
        new = out.array if isinstance(out, Tensor) else np.asarray(out)
        name = getattr(hook, "__name__", repr(hook))
        if new.shape != g.shape:
            raise RuntimeError(f"hook {name!r} has changed the size of value: expected "
                               f"{g.shape}, got {new.shape}")
        if new.dtype != g.dtype:
            raise RuntimeError(f"hook {name!r} has changed the type of value: expected "
                               f"{g.dtype}, got {new.dtype}")
        g = new
    return g


def _hand_back(grads, node, index, g):
    """Add ``g`` to the gradient waiting for output ``index`` of ``node``."""
    if node.out_meta is None:
        prev = grads.get(node)
        grads[node] = g if prev is None else prev + g
        return
    slots = grads.get(node)
    if slots is None:
        slots = grads[node] = [None] * len(node.out_meta)
    slots[index] = g if slots[index] is None else slots[index] + g
