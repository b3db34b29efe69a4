"""``gradwise.accelerator``: PyTorch's device-agnostic accelerator queries; there is none."""
from __future__ import annotations


def is_available() -> bool:
    """False: gradwise computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False):
    """None, as PyTorch returns when no accelerator is present."""
    return None


def device_count() -> int:
    return 0
