"""Checks of checkpoint files from untrusted places, made before anything is allocated from
them: the JSON's types, ``tensors_file`` confined to the checkpoint's folder, the safetensors
header read on its own, and the model config's sizes bounded by the stored tensors."""
from __future__ import annotations

import json
import pathlib

from .errors import UserError

MAX_HEADER_BYTES = 100 << 20     # safetensors' own limit on its JSON header
MIN_CONFIG_BOUND = 64            # small config integers (layers, kernel sizes) are always fine


class CheckpointError(UserError):
    """A checkpoint that cannot be read or does not fit the objects it is loaded into."""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_metadata(meta: dict, where) -> None:
    """Refuse checkpoint JSON whose fields have the wrong types (before any is used)."""
    def bad(key, expected):
        value = meta
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        shown = repr(value) if len(repr(value)) < 60 else repr(value)[:57] + "..."
        raise CheckpointError(f"{where}: checkpoint field {key!r} must be {expected}, got "
                              f"{type(value).__name__} {shown}",
                              "the file was edited or written by another program; "
                              "use another checkpoint")

    for key in ("epoch", "step"):
        if not _is_int(meta.get(key)) or meta[key] < 0:
            bad(key, "an integer >= 0")
    for key in ("tensors_file", "tensors_sha256"):
        if not isinstance(meta.get(key), str):
            bad(key, "a string")
    name = meta["tensors_file"]
    if pathlib.PurePath(name).name != name or "/" in name or "\\" in name or \
            name in ("", ".", "..") or not name.endswith(".safetensors"):
        bad("tensors_file", "a .safetensors file name in the checkpoint's own folder")
    model = meta.get("model")
    if not isinstance(model, dict):
        bad("model", "an object")
    if not isinstance(model.get("name"), str):
        bad("model.name", "a string")
    if not isinstance(model.get("keys"), dict):
        bad("model.keys", "an object of tensor shapes")
    for key, info in model["keys"].items():
        if not (isinstance(info, dict) and isinstance(info.get("shape"), list)
                and all(_is_int(d) and d >= 0 for d in info["shape"])):
            bad("model.keys", f"shapes as lists of integers >= 0 (key {key!r})")
    for key, kind in (("metrics", dict), ("extra", dict), ("extra_tensors", list)):
        meta.setdefault(key, kind())
        if not isinstance(meta[key], kind):
            bad(key, f"a JSON {'object' if kind is dict else 'array'}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
               for v in meta["metrics"].values()):
        bad("metrics", "an object of numbers")
    if not all(isinstance(v, str) for v in meta["extra_tensors"]):
        bad("extra_tensors", "a list of names")
    for key in ("optimizer", "scheduler", "loader"):
        info = meta.get(key)
        if info is not None and not (isinstance(info, dict) and isinstance(info.get("type"), str)
                                     and "state_dict" in info):
            bad(key, "null or an object with 'type' and 'state_dict'")
    if meta.get("rng") is not None and not isinstance(meta["rng"], dict):
        bad("rng", "null or an object")
    log = meta.get("log_position")
    if log is not None and not (isinstance(log, dict) and
                                all(_is_int(v) and v >= 0 for v in log.values())):
        bad("log_position", "an object of row counts")


def read_header(path: pathlib.Path) -> dict:
    """The tensor entries of a safetensors file's header ({name: {"dtype", "shape", ...}}),
    read without loading any tensor."""
    hint = "the file may be truncated or from another program; use another checkpoint"
    with open(path, "rb") as f:
        prefix = f.read(8)
        size = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
        if not 0 < size <= min(MAX_HEADER_BYTES, path.stat().st_size - 8):
            raise CheckpointError(f"{path}: not a safetensors file (header size {size})", hint)
        raw = f.read(size)
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        raise CheckpointError(f"{path}: unreadable safetensors header", hint) from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: unreadable safetensors header", hint)
    header.pop("__metadata__", None)
    for name, entry in header.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("shape"), list)
                and all(_is_int(d) and d >= 0 for d in entry["shape"])):
            raise CheckpointError(f"{path}: bad safetensors header entry {name!r}", hint)
    return header


def _config_ints(obj):
    if _is_int(obj):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _config_ints(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _config_ints(v)


def check_config_fits_tensors(config, header: dict, where) -> None:
    """Refuse a model config with an integer larger than every stored tensor dimension.

    Models are built from their config before the weights are compared with them, so a crafted
    ``hidden_size`` would otherwise allocate whatever it asks for. Every size of a model is a
    dimension of one of its tensors, and small integers (layers, kernel sizes, token ids) are
    always allowed.
    """
    largest = max([d for e in header.values() for d in e["shape"]] + [MIN_CONFIG_BOUND])
    too_big = [v for v in _config_ints(config) if v > largest]
    if too_big:
        raise CheckpointError(f"{where}: the model config asks for size {max(too_big)}, but no "
                              f"stored tensor has a dimension above {largest}",
                              "the file was edited or does not belong to its tensors; "
                              "use another checkpoint")
