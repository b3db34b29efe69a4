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

import functools
import inspect
import threading

import numpy as np

_state = threading.local()

# While an exporter traces a model (gradwise.onnx), a callable
# ``tracer(name, inputs, config, outputs)`` that sees every op apply_op runs; None otherwise.
tracer = None


def is_grad_enabled() -> bool:
    return getattr(_state, "grad_enabled", True)


def set_grad_enabled(mode: bool) -> None:
    _state.grad_enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

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
    """Disable graph recording: ``with gw.no_grad(): ...`` or ``@gw.no_grad()``."""

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
                 "retained", "freed")

    def __init__(self, name, backward, cache, inputs, edges, out_meta):
        self.name = name
        self.backward = backward
        self.cache = cache
        self.inputs = inputs  # positional args as given: Tensor, array, scalar or None
        self.edges = edges
        self.saved = ()
        self.out_meta = out_meta  # [(shape, dtype)] per output; None for a single output
        self.retained = {}  # output index -> Tensor whose .grad must be kept (retain_grad)
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


def _cache_roots(cache):
    """ids of the memory owners of the arrays a cache holds (two levels of tuples, dicts)."""
    roots = set()
    stack = [(cache, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, np.ndarray):
            roots.add(_root(item))
        elif depth < 2 and isinstance(item, (tuple, list)):
            stack.extend((c, depth + 1) for c in item)
        elif depth < 2 and isinstance(item, dict):
            stack.extend((c, depth + 1) for c in item.values())
    return roots


def _root(array):
    return id(array if array.base is None else array.base)


def _saved_versions(cache, inputs, outputs):
    """The version of every input and output whose memory ``cache`` holds."""
    roots = _cache_roots(cache)
    if not roots:
        return ()
    Tensor = _tensor_cls()
    saved = [(x._counter, x._counter.value, f"input {i}")
             for i, x in enumerate(inputs) if isinstance(x, Tensor) and _root(x.array) in roots]
    saved += [(t._counter, 0, f"output {i}")
              for i, t in enumerate(outputs) if _root(t.array) in roots]
    return tuple(saved)


_WANTS_NEEDS_INPUT_GRAD = {}


def _wants_needs_input_grad(forward):
    """Whether ``forward`` takes a ``needs_input_grad`` keyword (looked up once per function)."""
    wants = _WANTS_NEEDS_INPUT_GRAD.get(forward)
    if wants is None:
        try:
            wants = "needs_input_grad" in inspect.signature(forward).parameters
        except (TypeError, ValueError):
            wants = False
        _WANTS_NEEDS_INPUT_GRAD[forward] = wants
    return wants


def _tensor_cls():
    from .tensor import Tensor

    return Tensor


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
    Tensor = _tensor_cls()
    arrays = [x.array if isinstance(x, Tensor) else x for x in inputs]
    grad_mode = is_grad_enabled()
    needs_input_grad = tuple(
        grad_mode and isinstance(x, Tensor) and x.requires_grad for x in inputs
    )
    needs_grad = any(needs_input_grad)
    if _wants_needs_input_grad(forward):
        config["needs_input_grad"] = needs_input_grad
    out, cache = forward(*arrays, **config)
    multi = isinstance(out, tuple)
    outs = out if multi else (out,)
    if not needs_grad:
        tensors = tuple(Tensor(o) for o in outs)
        if tracer is not None:
            tracer(name or forward.__name__.removesuffix("_forward"), inputs, config, tensors)
        return tensors if multi else tensors[0]
    op_name = name or forward.__name__.removesuffix("_forward")
    meta = [(o.shape, o.dtype) for o in outs] if multi else None
    edges = tuple((x, x._node, x._index) if needed else None
                  for x, needed in zip(inputs, needs_input_grad))
    node = Node(op_name, backward, cache, inputs, edges, meta)
    tensors = []
    for i, o in enumerate(outs):
        differentiable = np.issubdtype(o.dtype, np.inexact)
        t = Tensor(o, requires_grad=differentiable)
        if differentiable:
            t._node, t._index = node, i
        tensors.append(t)
    node.saved = _saved_versions(cache, inputs, tensors)
    return tuple(tensors) if multi else tensors[0]


def _topological_order(root_node):
    """Nodes reachable from root_node, each after every node that consumes its outputs."""
    order, visited = [], set()
    stack = [(root_node, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for edge in node.edges:
            if edge is not None and edge[1] is not None and id(edge[1]) not in visited:
                stack.append((edge[1], False))
    order.reverse()  # root first
    return order


def _accumulate(store, key, grad):
    prev = store.get(key)
    store[key] = grad if prev is None else prev + grad


def run_backward(root, gradient, retain_graph=False):
    """Backpropagate ``gradient`` (an array shaped like root) through root's graph."""
    if root._node is None:
        if root.requires_grad:  # a leaf: d root / d root
            root._accumulate_grad(gradient)
        return
    grads = {(id(root._node), root._index): gradient}
    for node in _topological_order(root._node):
        if node.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time ({node!r}): the saved "
                "arrays were freed after the first backward. Pass retain_graph=True to the "
                "first backward() if you need to call it twice."
            )
        if node.out_meta is None:
            g_out = grads.pop((id(node), 0), None)
            if g_out is None:
                continue
        else:
            g_list = [grads.pop((id(node), i), None) for i in range(len(node.out_meta))]
            if all(g is None for g in g_list):
                continue
            g_out = tuple(
                np.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(g_list, node.out_meta)
            )
        for i, t in node.retained.items():
            g = g_out if node.out_meta is None else g_out[i]
            t._accumulate_grad(g)
        node.check_versions()
        in_grads = node.backward(g_out, node.cache)
        if not isinstance(in_grads, (tuple, list)):
            in_grads = (in_grads,)
        if len(in_grads) != len(node.edges):
            raise AssertionError(
                f"{node!r} returned {len(in_grads)} gradients for {len(node.inputs)} inputs"
            )
        for edge, g in zip(node.edges, in_grads):
            if edge is None or g is None:
                continue
            x, producer, index = edge
            if g.shape != x.shape:
                raise AssertionError(
                    f"{node!r} returned a gradient of shape {g.shape} for an input of shape {x.shape}"
                )
            if g.dtype != x.dtype:
                raise AssertionError(
                    f"{node!r} returned a {g.dtype} gradient for a {x.dtype} input: a kernel "
                    "must keep its inputs' dtypes"
                )
            if producer is None:
                x._accumulate_grad(g)
            else:
                _accumulate(grads, (id(producer), index), g)
        if not retain_graph:
            node.cache = None
            node.freed = True
