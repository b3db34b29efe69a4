"""``nn.modules.batchnorm``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..normalization import BatchNorm1d, BatchNorm2d

__all__ = ["BatchNorm1d", "BatchNorm2d"]
