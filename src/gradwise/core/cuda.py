"""``gradwise.cuda``: the CUDA queries PyTorch programs make, answered for a CPU-only build.

``manual_seed``/``manual_seed_all`` are accepted and do nothing, which is PyTorch's documented
behaviour when CUDA is not available; asking for a CUDA device raises ``DeviceError``.
"""
from __future__ import annotations

from .device import _refuse


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Ignored without CUDA (as in PyTorch)."""


def manual_seed_all(seed: int) -> None:
    """Ignored without CUDA (as in PyTorch)."""


def current_device():
    _refuse("cuda", "cuda.current_device")


def set_device(device):
    _refuse(device, "cuda.set_device")
