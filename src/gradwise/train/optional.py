"""Optional dependencies: import them lazily and say how to install them when missing."""
from __future__ import annotations

import importlib


class MissingDependencyError(ImportError):
    """An optional extra is not installed; the message gives the ``pip install`` command."""

    def __init__(self, feature: str, module: str, extra: str):
        self.feature, self.module, self.extra = feature, module, extra
        super().__init__(f"{feature} requires {module}, which is not installed")
        self.hint = f"pip install 'gradwise[{extra}]'  (or: pip install {module})"

    def __str__(self):
        return f"{self.args[0]}; install it with: {self.hint}"


def require(module: str, feature: str, extra: str):
    """Import and return ``module`` or raise :class:`MissingDependencyError`.

    Args:
        module: the import name, e.g. ``"safetensors.numpy"``.
        feature: what needs it, for the message ("checkpoints").
        extra: the gradwise extra that installs it ("checkpoint").
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(feature, module.split(".")[0], extra) from None


def available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
