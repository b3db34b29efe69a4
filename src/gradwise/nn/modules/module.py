"""``nn.modules.module``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..module import Module

__all__ = ["Module"]
