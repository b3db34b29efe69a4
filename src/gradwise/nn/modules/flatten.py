"""``nn.modules.flatten``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..linear import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
