"""Devices: gradwise computes on the CPU only, so ``device("cpu")`` is the one device.

PyTorch programs name devices everywhere (``torch.device("cpu")``, ``x.to(device)``,
``nn.Linear(3, 4, device=...)``, ``torch.zeros(2, device="cpu")``). Every such argument goes
through ``check_device``: the CPU passes, any other device raises ``DeviceError`` with one
message, so a CUDA/MPS request never surfaces later as an unrelated NumPy error.

Differs from PyTorch: ``device("cuda")`` raises at construction (PyTorch raises at first use).
"""
from __future__ import annotations

# PyTorch's device types; all but "cpu" name hardware gradwise does not drive
_KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "mtia", "hpu", "vulkan",
                "mkldnn", "opengl", "opencl", "ideep", "ve", "fpga", "maia", "lazy", "privateuseone")


class DeviceError(RuntimeError):
    """A tensor or module was asked to live on a device other than the CPU."""


def _refuse(spec, op):
    raise DeviceError(f"{op}: device {str(spec)!r} requested, but gradwise runs on the CPU; "
                      f"pass 'cpu' (gradwise.accelerator.is_available() is False)")


class device:  # noqa: N801 (torch name)
    """``device("cpu")``, ``device("cpu:0")``, ``device("cpu", 0)`` or ``device(other_device)``.

    Attributes:
        type: always ``"cpu"``.
        index: the index given (``None`` when none was).
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 (torch argument name)
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            _refuse(f"cuda:{type}", "device")  # torch.device(0) means the first CUDA device
        if not isinstance(type, str):
            raise TypeError(f"device: expected a device string such as 'cpu', got "
                            f"{type.__class__.__name__}")
        kind, _, rest = type.partition(":")
        if kind not in _KNOWN_TYPES:
            raise ValueError(f"device: expected one of {', '.join(_KNOWN_TYPES[:4])}, ... at the "
                             f"start of the device string, got {type!r}")
        if kind != "cpu":
            _refuse(type if index is None else f"{type}:{index}", "device")
        if rest:
            if index is not None or not rest.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(rest)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type, self.index = "cpu", index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, DeviceError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def is_device_spec(value) -> bool:
    """Whether ``value`` names a device (a ``device`` or a device string such as 'cuda:0')."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.partition(":")[0] in _KNOWN_TYPES


def check_device(spec, op: str):
    """``device("cpu")`` for ``None`` or any CPU spec; ``DeviceError`` naming ``op`` otherwise."""
    if spec is None or isinstance(spec, device):
        return CPU
    if isinstance(spec, int) and not isinstance(spec, bool):
        _refuse(f"cuda:{spec}", op)
    if not is_device_spec(spec):
        raise TypeError(f"{op}: expected a device such as 'cpu', got {spec!r}")
    if spec.partition(":")[0] != "cpu":
        _refuse(spec, op)
    return device(spec)
