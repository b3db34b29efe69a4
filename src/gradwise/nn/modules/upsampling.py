"""``nn.modules.upsampling``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
