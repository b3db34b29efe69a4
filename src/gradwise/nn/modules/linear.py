"""``nn.modules.linear``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..linear import Bilinear, Identity, Linear

__all__ = ["Bilinear", "Identity", "Linear"]
