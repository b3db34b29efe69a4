"""Shared test helpers: run the same computation in gradwise and PyTorch and compare."""
import json

import numpy as np
import torch

import gradwise as gw

torch.set_num_threads(1)


def to_torch(a, requires_grad=True):
    a = np.asarray(a)
    t = torch.tensor(a)
    if requires_grad and np.issubdtype(a.dtype, np.floating):
        t.requires_grad_(True)
    return t


def to_gw(a, requires_grad=True):
    a = np.asarray(a)
    return gw.tensor(a, requires_grad=requires_grad and np.issubdtype(a.dtype, np.floating))


def leaf(a):
    """A gradwise leaf for gradcheck (``to_gw``), passing None through for absent biases."""
    return None if a is None else to_gw(a)


def compare_with_torch(gw_fn, torch_fn, arrays, atol=1e-10, rtol=1e-7, seed=0):
    """Run gw_fn(*gw_tensors) and torch_fn(*torch_tensors) on the same arrays; compare the
    outputs (shape, dtype, values) and the gradient of Σ v·out for every floating input."""
    g_in = [to_gw(a) for a in arrays]
    t_in = [to_torch(a) for a in arrays]
    g_out, t_out = gw_fn(*g_in), torch_fn(*t_in)
    g_outs = g_out if isinstance(g_out, (tuple, list)) else (g_out,)
    t_outs = t_out if isinstance(t_out, (tuple, list)) else (t_out,)
    assert len(g_outs) == len(t_outs)
    rng = np.random.default_rng(seed)
    g_loss, t_loss = [], []
    for g, t in zip(g_outs, t_outs):
        assert g.shape == tuple(t.shape), f"shape {g.shape} vs torch {tuple(t.shape)}"
        assert str(g.dtype) == str(t.dtype).replace("torch.", ""), f"dtype {g.dtype} vs {t.dtype}"
        np.testing.assert_allclose(g.array, t.detach().numpy(), atol=atol, rtol=rtol)
        if t.requires_grad:
            v = rng.standard_normal(g.shape).astype(g.dtype)
            g_loss.append((g, v))
            t_loss.append((t * torch.tensor(v)).sum())
    if not t_loss:
        return g_outs
    sum(t_loss).backward()
    for k, (g, v) in enumerate(g_loss):
        g.backward(v, retain_graph=k < len(g_loss) - 1)
    for i, (gi, ti) in enumerate(zip(g_in, t_in)):
        if ti.grad is None:
            continue
        assert gi.grad is not None, f"input {i}: no gradient from gradwise"
        np.testing.assert_allclose(gi.grad.array, ti.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
    return g_outs


def assert_output_like_torch(g, t, atol=1e-10, rtol=1e-8):
    """A gradwise output against PyTorch's: shape and dtype, then the values."""
    assert g.shape == tuple(t.shape) and g.dtype == t.detach().numpy().dtype
    np.testing.assert_allclose(g.array, t.detach().numpy(), atol=atol, rtol=rtol)


def assert_grads_like_torch(g_in, t_in, g_module, t_module, atol=1e-10, rtol=1e-8,
                            same_names=False):
    """After both backward passes: the gradient of every input and of every PyTorch parameter
    equals gradwise's (``same_names``: and the two modules have the same parameter names)."""
    for i, (a, b) in enumerate(zip(g_in, t_in)):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"input {i}")
    ours = dict(g_module.named_parameters())
    if same_names:
        assert sorted(ours) == sorted(n for n, _ in t_module.named_parameters())
    for name, p in t_module.named_parameters():
        np.testing.assert_allclose(ours[name].grad.array, p.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=name)


def edit_json(path, change):
    """Rewrite the JSON file at ``path`` with ``change(obj)`` applied (a crafted-file helper)."""
    obj = json.loads(path.read_text())
    change(obj)
    path.write_text(json.dumps(obj))
