"""Finite-difference gradient check (float64, central differences)."""
from __future__ import annotations

import numpy as np

from .tensor import Tensor


class GradcheckError(AssertionError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and np.issubdtype(o.dtype, np.inexact)]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Compare autograd gradients of ``fn`` with central finite differences.

    The scalar checked is L = Σ_k ⟨v_k, out_k⟩ for fixed random v_k over every floating output
    of ``fn(*inputs)``, so every entry of every input gradient is compared:

        dL/dx_i ≈ (L(x + eps·e_i) − L(x − eps·e_i)) / (2·eps)

    Args:
        fn: function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: Tensors (float64; those with requires_grad=True are checked) or other values.
        eps, atol, rtol: step and tolerances, |analytic − numeric| ≤ atol + rtol·|numeric|.

    Returns:
        True, or raises GradcheckError naming the input, the index and both values.
    """
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64"
            )
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    vs = [rng.standard_normal(o.shape) for o in outs]

    def loss():
        return sum(float((o.array * v).sum()) for o, v in zip(_outputs(fn, inputs), vs))

    for i in checked:
        inputs[i].grad = None
    outs = _outputs(fn, inputs)
    roots = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    for k, (o, v) in enumerate(roots):
        o.backward(v, retain_graph=k < len(roots) - 1)

    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.array
        numeric = np.zeros(x.shape)
        flat = x.array.reshape(-1)  # a view: perturb in place
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = loss()
            flat[j] = orig - eps
            minus = loss()
            flat[j] = orig
            numeric.flat[j] = (plus - minus) / (2 * eps)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            j = np.unravel_index(np.argmax(np.abs(analytic - numeric)), x.shape)
            msg = (
                f"gradcheck: input {i} (shape {x.shape}) gradient mismatch at {j}: "
                f"analytic {analytic[j]:.8g} vs numeric {numeric[j]:.8g} "
                f"({int(bad.sum())} of {bad.size} entries off)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
