"""``gradwise.backends``: PyTorch's backend flags, kept as plain attributes (they select GPU
kernels, which gradwise does not have; setting them changes nothing in the CPU results)."""
from . import cudnn, mps
