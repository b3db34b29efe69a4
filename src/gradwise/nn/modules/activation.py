"""``nn.modules.activation``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from ..attention import MultiheadAttention  # torch.nn.modules.activation.MultiheadAttention

__all__ = ["ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus", "Tanh",
           "MultiheadAttention"]
