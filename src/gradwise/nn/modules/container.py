"""``nn.modules.container``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..container import ModuleDict, ModuleList, Sequential

__all__ = ["ModuleDict", "ModuleList", "Sequential"]
