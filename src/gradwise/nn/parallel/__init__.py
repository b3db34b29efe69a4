"""Data parallelism across processes: ``DistributedDataParallel`` (PyTorch's name)."""
from .distributed import DistributedDataParallel
