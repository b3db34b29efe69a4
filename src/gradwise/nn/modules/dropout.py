"""``nn.modules.dropout``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..dropout import Dropout, Dropout2d

__all__ = ["Dropout", "Dropout2d"]
