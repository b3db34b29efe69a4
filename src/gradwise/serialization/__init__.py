"""``gradwise.save`` / ``gradwise.load``: PyTorch's calls, without pickle code ever running.

``save`` writes gradwise's own format (``native.py``: safetensors for the tensors, JSON for the
structure). ``load`` reads that format, plain safetensors files, and PyTorch's own ``.pt`` /
``.pth`` files in the zip and the legacy format (``torch_format.py``), through an unpickler that
knows only tensors and containers. Torch is never imported.
"""
from __future__ import annotations

import io
import os
import zipfile

from . import native, torch_format
from .torch_format import UnsafeFileError


def save(obj, f) -> None:
    """Save ``obj`` (tensors, arrays, numbers, strings, None and dicts/lists/tuples of them,
    e.g. a model's or optimizer's ``state_dict()``) to a path or a binary file object.

    Differs from PyTorch: the file is gradwise's format (safetensors + JSON), which
    ``torch.load`` does not read; arbitrary Python objects are refused with a ``TypeError``.
    """
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            native.dump(obj, fh)
    elif hasattr(f, "write"):
        native.dump(obj, f)
    else:
        raise TypeError(f"gradwise.save: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")


def _check_map_location(map_location):
    """Every target must be the CPU: None, 'cpu', a device with type 'cpu', or a dict of them."""
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for target in map_location.values():
            _check_map_location(target)
        return
    if callable(map_location) and not hasattr(map_location, "type"):
        raise TypeError("gradwise.load: a callable map_location is not supported; gradwise "
                        "runs on the CPU, pass map_location='cpu' or None")
    kind = str(getattr(map_location, "type", map_location)).partition(":")[0]
    if kind != "cpu":
        raise RuntimeError(f"gradwise.load: map_location {str(map_location)!r} requested, but "
                           f"gradwise runs on the CPU; pass 'cpu' or None")


def load(f, map_location=None, *, weights_only=True, mmap=None):
    """Load an object saved by ``gradwise.save`` or ``torch.save``.

    Args:
        f: a path or a binary file object.
        map_location: None, ``"cpu"``, a CPU device or a dict mapping saved locations to the
            CPU. Every tensor loads onto the CPU, including ones saved from CUDA (PyTorch
            needs ``map_location`` there).
        weights_only: accepted for PyTorch's signature. gradwise always applies PyTorch's
            ``weights_only=True`` rule, whatever the value: a torch file that needs any other
            global raises ``UnsafeFileError`` and nothing in it runs.
        mmap: accepted for PyTorch's signature; the file is read into memory.

    Returns:
        the saved object: Tensors (sharing memory where the saved tensors shared a storage),
        dicts/OrderedDicts, lists, tuples and plain values. Tensors of PyTorch's bfloat16 load as
        float32 (NumPy has no bfloat16).
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    elif hasattr(f, "read"):
        data = f.read()
    else:
        raise TypeError(f"gradwise.load: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return torch_format.load_zip(zf)[0]
    if native.is_native(data):
        return native.read(data)
    if torch_format.is_legacy(data):
        return torch_format.load_legacy(io.BytesIO(data))[0]
    raise ValueError(f"gradwise.load: {getattr(f, 'name', f)!r} is neither a gradwise/safetensors "
                     f"file nor a PyTorch .pt/.pth file (zip or legacy format)")


__all__ = ["UnsafeFileError", "load", "save"]
