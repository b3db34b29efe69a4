"""gradwise's own file format: one safetensors file, the structure as JSON in its metadata.

    [8 bytes: header length n, little-endian u64][n bytes: JSON header][tensor bytes]

The header is a valid safetensors header, ``{"t0": {"dtype": "F32", "shape": [2, 3],
"data_offsets": [0, 24]}, ..., "__metadata__": {"format": "gradwise", "structure": "<JSON>"}}``,
so any safetensors reader sees the tensors. The structure JSON describes the saved object with
tagged nodes: JSON scalars stand for themselves; ``{"$": "dict" | "OrderedDict" | "tuple" |
"list" | "tensor" | "parameter" | "ndarray" | "float", ...}`` for the rest. Nothing is pickled,
so loading never runs code. A tensor saved twice (the same object, or tensors over the same
ndarray) is stored once and loads as tensors sharing memory; other views are stored as copies.
"""
from __future__ import annotations

import collections
import json
import math
import struct

import numpy as np

from ..core.tensor import Tensor
from ..nn.parameter import Parameter

DTYPE_CODES = {
    np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8", np.dtype(np.uint16): "U16",
    np.dtype(np.uint32): "U32", np.dtype(np.uint64): "U64", np.dtype(np.bool_): "BOOL",
}
CODE_DTYPES = {code: dt for dt, code in DTYPE_CODES.items()}
MAX_HEADER = 100_000_000  # safetensors' own limit on the header size


class _Writer:
    """Walks the object, numbering each distinct array once."""

    def __init__(self):
        self.arrays, self.keys = [], {}

    def array_key(self, a):
        if id(a) not in self.keys:
            if a.dtype.newbyteorder("=") not in DTYPE_CODES:
                raise TypeError(f"gradwise.save: cannot store dtype {a.dtype} (supported: "
                                f"{', '.join(str(d) for d in DTYPE_CODES)})")
            self.keys[id(a)] = f"t{len(self.arrays)}"
            self.arrays.append(a)
        return self.keys[id(a)]

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            return float(obj) if math.isfinite(obj) else {"$": "float", "value": repr(float(obj))}
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {"$": kind, "key": self.array_key(obj.array),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"$": "ndarray", "key": self.array_key(obj)}
        if isinstance(obj, dict):
            kind = "OrderedDict" if isinstance(obj, collections.OrderedDict) else "dict"
            return {"$": kind, "items": [[self.encode(k, f"{path} key {k!r}"),
                                          self.encode(v, f"{path}[{k!r}]")]
                                         for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
            return items if isinstance(obj, list) else {"$": "tuple", "items": items}
        raise TypeError(f"gradwise.save: cannot save {type(obj).__name__} at {path}; gradwise "
                        f"saves tensors, arrays, numbers, strings, None and dicts/lists/tuples "
                        f"of them (never pickle)")


def dump(obj, f):
    """Write ``obj`` to the binary file object ``f`` in gradwise's format."""
    w = _Writer()
    structure = w.encode(obj, "obj")
    header, offset = {}, 0
    for key, a in zip(w.keys.values(), w.arrays):
        n = a.nbytes
        header[key] = {"dtype": DTYPE_CODES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                       "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "gradwise", "structure": json.dumps(structure)}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    f.write(struct.pack("<Q", len(raw)))
    f.write(raw)
    for a in w.arrays:
        f.write(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes())


def is_native(head: bytes) -> bool:
    """Whether the first bytes look like a safetensors header (length, then ``{``)."""
    return len(head) >= 9 and head[8:9] == b"{"


def read(data: bytes):
    """The object stored in ``data`` (a whole gradwise file)."""
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"gradwise.load: header of {n} bytes does not fit the file")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    arrays = {}
    for key, info in header.items():
        dtype = CODE_DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"gradwise.load: tensor {key!r} has unknown dtype {info.get('dtype')}")
        start, end = info["data_offsets"]
        shape = tuple(int(s) for s in info["shape"])
        if not 0 <= start <= end <= len(body) or end - start != dtype.itemsize * math.prod(shape):
            raise ValueError(f"gradwise.load: tensor {key!r} has offsets {start}..{end} that do "
                             f"not match its shape {shape} and dtype {dtype} or the file size")
        raw = bytearray(body[start:end])
        arrays[key] = np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype, copy=False) \
            .reshape(shape)
    if meta.get("format") != "gradwise":  # a plain safetensors file: its tensors by name
        return {key: Tensor(a) for key, a in arrays.items()}
    return _decode(json.loads(meta["structure"]), arrays)


def _decode(node, arrays):
    if not isinstance(node, (dict, list)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    kind = node.get("$")
    if kind in ("dict", "OrderedDict"):
        cls = collections.OrderedDict if kind == "OrderedDict" else dict
        return cls((_decode(k, arrays), _decode(v, arrays)) for k, v in node["items"])
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in node["items"])
    if kind == "float":
        return float(node["value"])
    if kind in ("tensor", "parameter", "ndarray"):
        if node["key"] not in arrays:
            raise ValueError(f"gradwise.load: the structure names a missing tensor {node['key']!r}")
        a = arrays[node["key"]]
        if kind == "ndarray":
            return a
        if kind == "parameter":
            return Parameter(a, requires_grad=node["requires_grad"])
        return Tensor(a, requires_grad=node["requires_grad"])
    raise ValueError(f"gradwise.load: unknown node {kind!r} in the file's structure")
