"""The Tensors inside a forward's nested arguments or outputs (tuples, lists, dicts)."""
from __future__ import annotations

from ...core.tensor import Tensor


def tensors_in(obj) -> list:
    """Every Tensor in ``obj``, depth first: a Tensor itself, or inside nested tuples, lists
    and dict values; anything else holds none."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in tensors_in(o)]
    return []
