"""ONNX export: ``gradwise.onnx.export(model, args, "model.onnx", dynamic_axes=...)``.

Needs the optional ``onnx`` package: ``pip install 'gradwise[onnx]'``.
"""
try:
    import onnx  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("gradwise.onnx needs the onnx package: pip install 'gradwise[onnx]' "
                      "(or pip install onnx)") from exc

from .export import export
from .registry import MAPPINGS, ExportError

__all__ = ["ExportError", "MAPPINGS", "export"]
