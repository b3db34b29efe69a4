"""Upsampling layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d (PyTorch's names).

Thin wrappers over ``gradwise.functional.interpolate`` with PyTorch's arguments, stored
attributes and repr. Unlike PyTorch, the arguments are checked in ``__init__`` (a mode that does
not exist, both or neither of size / scale_factor, align_corners with a nearest mode,
non-positive sizes or factors), and input errors name the layer.
"""
from __future__ import annotations

from ..functional.interpolate import check_interpolate_args, interpolate
from .module import Module


class Upsample(Module):
    """Resize the spatial dimensions of (N, C, L) or (N, C, H, W) input.

    Args:
        size: output spatial size, an int or one int per spatial dimension.
        scale_factor: spatial multiplier (output size ⌊n · scale_factor⌋), a number or one per
            spatial dimension; stored as float(s) as in PyTorch. Exactly one of the two.
        mode: "nearest" (default), "nearest-exact", "linear" (3-D input) or "bilinear" (4-D).
        align_corners: linear modes only, see ``gradwise.functional.interpolate``.
        recompute_scale_factor: interpolate with s = n_in / n_out instead of 1 / scale_factor.

    Shape: (N, C, L) -> (N, C, L_out);  (N, C, H, W) -> (N, C, H_out, W_out)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        check_interpolate_args(type(self).__name__, size, scale_factor, mode, align_corners,
                               recompute_scale_factor)
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        try:
            return interpolate(input, self.size, self.scale_factor, self.mode,
                               self.align_corners, self.recompute_scale_factor)
        except (ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """2-D nearest upsampling, ``Upsample(size, scale_factor, mode="nearest")``.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with align_corners=True (as in PyTorch, unlike ``Upsample``).

    Shape: (N, C, H, W) -> (N, C, H_out, W_out)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
