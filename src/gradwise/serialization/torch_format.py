"""Read PyTorch's ``.pt``/``.pth`` files without torch and without running pickle code.

``torch.save`` writes a pickle in which each tensor is a call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` and each
storage a persistent id ``("storage", torch.FloatStorage, key, location, numel)`` whose bytes
live outside the pickle:

    zip format (default since torch 1.6):  <archive>/data.pkl, <archive>/data/<key>,
                                           <archive>/byteorder ("little" or "big")
    legacy format:  pickles of (magic number, protocol version, sys info, the object, the
                    storage keys), then per key an int64 element count and the raw bytes

The unpickler follows PyTorch's ``weights_only=True`` rule: ``find_class`` resolves only the
tensor-rebuild functions, the storage types, ``collections.OrderedDict``, ``torch.Size`` and a
few builtins, each to gradwise's own implementation (torch is never imported). Any other global,
object-building opcode (NEWOBJ, OBJ, INST) or ``BUILD`` on anything but a dict refuses the whole
file with ``UnsafeFileError`` before anything runs. Tensors that share a storage in the file
share memory after loading, as they do in torch.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import struct

import numpy as np

from ..core.tensor import Tensor
from ..nn.parameter import Parameter

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# torch.<Name>Storage -> the NumPy dtype of its elements (BFloat16 is widened, see _Storage)
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": np.uint16, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
}
TORCH_DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
    "bool": np.bool_,
}


class UnsafeFileError(pickle.UnpicklingError):
    """A checkpoint asks the unpickler for something other than tensors and containers."""


class _StorageType:
    """Stands in for ``torch.FloatStorage`` & co.: only names an element dtype."""

    def __init__(self, name):
        self.name, self.dtype = name, np.dtype(STORAGE_DTYPES[name])

    def __call__(self, *args):
        raise UnsafeFileError(f"gradwise.load: the file calls torch.{self.name}(...); only "
                              f"storages referenced by persistent id are allowed")


class _Storage:
    """A flat array of one storage's elements; tensors are strided views into it."""

    def __init__(self, storage_type, numel):
        self.storage_type, self.numel = storage_type, numel
        self.array = None

    def fill(self, raw, byteorder):
        dtype = self.storage_type.dtype.newbyteorder("<" if byteorder == "little" else ">")
        if len(raw) != self.numel * dtype.itemsize:
            raise ValueError(f"gradwise.load: storage of {self.numel} {self.storage_type.name} "
                             f"elements has {len(raw)} bytes, expected "
                             f"{self.numel * dtype.itemsize}")
        a = np.frombuffer(bytearray(raw), dtype).astype(dtype.newbyteorder("="), copy=False)
        if self.storage_type.name == "BFloat16Storage":  # bfloat16 = the top 16 bits of a float32
            a = (a.astype(np.uint32) << 16).view(np.float32)
        if self.array is None:
            self.array = a
        else:  # legacy format: tensors already view the preallocated array
            self.array[...] = a

    def allocate(self):
        """Preallocate (legacy format, where the bytes follow the pickle)."""
        bf16 = self.storage_type.name == "BFloat16Storage"
        self.array = np.zeros(self.numel, np.float32 if bf16 else self.storage_type.dtype)


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsafeFileError(f"gradwise.load: {what} must be an int, got {type(value).__name__}")
    return value


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2: a strided view of ``storage`` as a Tensor."""
    if not isinstance(storage, _Storage) or not isinstance(size, tuple) \
            or not isinstance(stride, tuple) or len(size) != len(stride):
        raise UnsafeFileError("gradwise.load: malformed tensor record (storage, offset, size, "
                              "stride) in the file")
    offset = _int(storage_offset, "storage offset")
    size = tuple(_int(s, "size") for s in size)
    stride = tuple(_int(s, "stride") for s in stride)
    if storage.array is None:
        storage.allocate()
    flat = storage.array
    if min(size, default=1) > 0:  # the last element the view touches must be in the storage
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if offset < 0 or min(stride, default=0) < 0 or last >= flat.size:
            raise ValueError(f"gradwise.load: tensor of size {size}, stride {stride}, offset "
                             f"{offset} reaches past its storage of {flat.size} elements")
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], size, tuple(s * flat.itemsize for s in stride))
    else:
        view = np.zeros(size, flat.dtype)
    return Tensor(view, requires_grad=bool(requires_grad) and view.dtype.kind in "fc")


def _rebuild_tensor(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor (older files)."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: a Parameter sharing the tensor's memory."""
    if not isinstance(data, Tensor):
        raise UnsafeFileError("gradwise.load: a parameter record must wrap a tensor")
    return Parameter(data.array, requires_grad=bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    if state:
        raise UnsafeFileError("gradwise.load: a parameter with extra Python attributes "
                              f"({sorted(state)!r}) is not a plain tensor")
    return _rebuild_parameter(data, requires_grad, backward_hooks)


def _encode(text, encoding="latin1"):
    """_codecs.encode, which protocol-2 pickles use to carry bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeFileError("gradwise.load: _codecs.encode is allowed only on str, latin1")
    return text.encode("latin1")


def _size(*args):
    """torch.Size(sequence) -> a tuple of ints."""
    return tuple(_int(n, "torch.Size element") for n in (args[0] if args else ()))


ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch", "Size"): _size,
    ("_codecs", "encode"): _encode,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
    **{("torch", name): np.dtype(dt) for name, dt in TORCH_DTYPES.items()},
}


class RestrictedUnpickler(pickle._Unpickler):
    """The pure-Python unpickler with only tensor and container globals (weights_only=True).

    Storage persistent ids become ``_Storage`` objects, one per key, filled by ``storage_bytes``
    (zip format) or by the caller after loading (legacy format).
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, storage_bytes=None, byteorder="little"):
        super().__init__(file, encoding="utf-8")
        self.storage_bytes, self.byteorder = storage_bytes, byteorder
        self.storages = {}

    def find_class(self, module, name):
        if self.proto < 3:  # Python 2 names in protocol 2 pickles, as pickle's own find_class
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        try:
            return ALLOWED[(module, name)]
        except (KeyError, TypeError):
            raise UnsafeFileError(
                f"gradwise.load refused the file: it needs the global {module}.{name}, and only "
                f"tensors, storages and containers are allowed (PyTorch's weights_only=True "
                f"rule); nothing was executed. gradwise never runs pickle code."
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)):
            raise UnsafeFileError(f"gradwise.load: unexpected persistent id {pid!r:.80} "
                                  f"(expected ('storage', torch.<T>Storage, key, location, numel))")
        storage_type, key, numel = pid[1], pid[2], _int(pid[4], "storage numel")
        if len(pid) > 5 and pid[5] is not None:
            raise UnsafeFileError("gradwise.load: legacy storage views are not supported")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(storage_type, numel)
            if self.storage_bytes is not None:
                storage.fill(self.storage_bytes(key), self.byteorder)
        elif storage.storage_type.dtype != storage_type.dtype:
            raise ValueError(f"gradwise.load: storage {key!r} is read with two dtypes")
        return storage

    def _refuse_opcode(self):
        raise UnsafeFileError("gradwise.load refused the file: it builds an arbitrary object "
                              "(NEWOBJ/OBJ/INST opcode); only tensors and containers are allowed")

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, dict) or not isinstance(state, dict) \
                or not all(isinstance(k, str) and not k.startswith("__") for k in state):
            raise UnsafeFileError(f"gradwise.load refused the file: it sets the state of a "
                                  f"{type(inst).__name__}; only a dict's attributes may be set")
        for k, v in state.items():  # OrderedDict._metadata of a state_dict
            setattr(inst, k, v)

    for _op in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.OBJ, pickle.INST, pickle.EXT1,
                pickle.EXT2, pickle.EXT4):
        dispatch[_op[0]] = _refuse_opcode
    dispatch[pickle.BUILD[0]] = load_build
    del _op


def load_zip(zf):
    """The object in a torch zip archive (``zipfile.ZipFile``)."""
    names = [n for n in zf.namelist() if n.endswith("data.pkl")]
    if len(names) != 1:
        raise ValueError(f"gradwise.load: a torch zip archive holds one data.pkl, found {names}")
    prefix = names[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in zf.namelist():
        byteorder = zf.read(prefix + "byteorder").decode().strip()
    if byteorder not in ("little", "big"):
        raise ValueError(f"gradwise.load: unknown byteorder {byteorder!r}")

    def storage_bytes(key):
        try:
            return zf.read(f"{prefix}data/{key}")
        except KeyError:
            raise ValueError(f"gradwise.load: storage {key!r} is missing from the archive") \
                from None

    up = RestrictedUnpickler(io.BytesIO(zf.read(names[0])), storage_bytes, byteorder)
    return up.load(), up.storages


def load_legacy(f):
    """The object in a legacy (``_use_new_zipfile_serialization=False``) torch file."""
    def plain():
        return RestrictedUnpickler(f).load()

    magic = plain()
    if magic != LEGACY_MAGIC:
        raise ValueError("gradwise.load: not a torch file (bad magic number)")
    plain()  # protocol version
    sys_info = plain()
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    up = RestrictedUnpickler(f)
    obj = up.load()
    keys = RestrictedUnpickler(f).load()
    if not isinstance(keys, list):
        raise UnsafeFileError("gradwise.load: malformed legacy storage list")
    for key in keys:
        storage = up.storages.get(key)
        if storage is None:
            raise ValueError(f"gradwise.load: the file lists storage {key!r} no tensor uses")
        (count,) = struct.unpack("<q" if little else ">q", f.read(8))
        nbytes = count * storage.storage_type.dtype.itemsize
        storage.fill(f.read(nbytes), "little" if little else "big")
    return obj, up.storages


def is_legacy(head: bytes) -> bool:
    """Whether the file starts as torch's legacy format does: PROTO 2, then the magic LONG1."""
    return head[:3] == b"\x80\x02\x8a"
