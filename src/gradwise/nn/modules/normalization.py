"""``nn.modules.normalization``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..normalization import LayerNorm, LocalResponseNorm

__all__ = ["LayerNorm", "LocalResponseNorm"]
