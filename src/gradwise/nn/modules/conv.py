"""``nn.modules.conv``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
