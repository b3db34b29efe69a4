"""Neural-network layers with PyTorch's names, arguments, parameter layouts and state_dict keys."""
from . import functional, init
from .container import ModuleDict, ModuleList, Sequential
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .module import IncompatibleKeys, Module
from .parameter import Parameter
