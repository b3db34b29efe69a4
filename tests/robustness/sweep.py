"""Machinery of the bad-input sweep (PyTorch OpInfo's "error inputs", for gradwise vs torch).

A Case runs one call in both libraries. The verdict:
  - torch raises -> gradwise must raise a ValueError/TypeError/IndexError whose message names the
    layer or op and shows the actual value ("got ..."); anything else (a NumPy error from deep
    inside, a silent result) fails;
  - torch returns -> gradwise must return the same shape, dtype and values (NaN where torch has
    NaN), or refuse with such a clear error when the case is listed in ``STRICTER`` with the
    reason gradwise is stricter on purpose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

import gradwise as gw

CLEAR_ERRORS = (ValueError, TypeError, IndexError)


@dataclass
class Case:
    """One bad (or edge) input: ``run_gw()`` and ``run_torch()`` perform the same call."""

    id: str
    run_gw: Callable
    run_torch: Callable
    owner: str  # the layer's class or the op's name, which the gradwise message must contain
    random: bool = False  # output drawn from an RNG: compare shape and dtype only
    refuse: bool = False  # gradwise must raise whatever torch does
    extras: dict = field(default_factory=dict)


def layer_case(id, make_gw, make_torch, inputs, owner, train=True, random=False):
    """Build the two layers, give torch gradwise's weights, call both on ``inputs`` (arrays)."""
    def run_gw():
        gw.manual_seed(0)  # the same weights as the copy given to torch below
        layer = make_gw()
        layer.train(train)
        return layer(*[gw.tensor(a) for a in inputs])

    def run_torch():
        gw.manual_seed(0)
        g, t = make_gw(), make_torch()
        t.load_state_dict({k: torch.from_numpy(np.array(v.array)) for k, v in
                           g.state_dict().items()})
        t.train(train)
        return t(*[torch.from_numpy(np.array(a)) for a in inputs])

    return Case(id, run_gw, run_torch, owner, random)


def op_case(id, gw_fn, torch_fn, inputs, owner, random=False, **kwargs):
    """Call ``gw_fn(*tensors, **kwargs)`` and ``torch_fn(*tensors, **kwargs)``."""
    return Case(id, lambda: gw_fn(*[gw.tensor(a) for a in inputs], **kwargs),
                lambda: torch_fn(*[torch.from_numpy(np.array(a)) for a in inputs], **kwargs),
                owner, random)


def ctor_case(id, make_gw, make_torch, owner):
    """A constructor call with invalid arguments. gradwise must refuse it in the constructor (the
    house style), even where PyTorch only fails at the first forward or never."""
    return Case(id, make_gw, make_torch, owner, refuse=True)


def _letters(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def _first(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def _outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - the verdict inspects whatever was raised
        return None, e


def check(case: Case, stricter: dict) -> None:
    t_out, t_err = _outcome(case.run_torch)
    g_out, g_err = _outcome(case.run_gw)
    assert g_err is not None or not case.refuse, f"{case.id}: gradwise accepted it"
    if g_err is not None:
        msg = str(g_err)
        assert isinstance(g_err, CLEAR_ERRORS), (
            f"{case.id}: gradwise raised {type(g_err).__name__}: {msg}")
        # the layer's class or the functional op it runs: MaxPool1d ~ max_pool1d
        assert _letters(case.owner) in _letters(msg), (
            f"{case.id}: message does not name {case.owner}: {msg}")
        assert re.search(r"got|expected|expects|must|larger than|out of (range|bounds)|differ|[Ss]elect from", msg), (
            f"{case.id}: message gives no expected/actual value: {msg}")
        if t_err is None and not case.refuse:
            assert case.id in stricter, (
                f"{case.id}: gradwise refused ({msg}) what torch computes; fix it or list it in "
                f"STRICTER with the reason")
        return
    assert case.id not in stricter, (f"{case.id}: gradwise now computes it, so its STRICTER "
                                      f"entry is out of date: remove it")
    assert t_err is None, (f"{case.id}: gradwise returned silently where torch raised "
                           f"{type(t_err).__name__}: {t_err}")
    g, t = _first(g_out), _first(t_out)
    if isinstance(t, torch.nn.Module):
        return  # a constructor both libraries accept
    t = t.detach().numpy()
    assert tuple(g.shape) == t.shape, f"{case.id}: shape {tuple(g.shape)} != torch's {t.shape}"
    assert np.dtype(g.dtype) == t.dtype, f"{case.id}: dtype {g.dtype} != torch's {t.dtype}"
    if not case.random:
        np.testing.assert_allclose(g.array, t, rtol=1e-4, atol=1e-5, equal_nan=True,
                                   err_msg=case.id)
