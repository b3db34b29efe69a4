"""``nn.modules.sparse``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..embedding import Embedding

__all__ = ["Embedding"]
