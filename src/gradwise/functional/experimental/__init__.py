"""Experimental kernels: measured, tested, but not dispatched to and not part of the public API.

``winograd``: Winograd F(2×2, 3×3) for 3×3 stride-1 conv2d; conv2d uses im2col because this
kernel measured no faster here (docs/benchmarks.md). Import it explicitly:
``from gradwise.functional.experimental.winograd import winograd_conv3x3``.
"""
