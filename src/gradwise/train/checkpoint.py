"""Checkpoints: tensors in safetensors, everything else in JSON; atomic, validated, never pickled.

A checkpoint is two files side by side:

    ckpt-00000100.safetensors   model parameters/buffers ("model.<key>"), optimizer state tensors
                                ("optimizer.state.<i>.<name>") and extra tensors ("extra.<name>")
    ckpt-00000100.json          format/version, the sha256 of the tensors file, model name and
                                config, optimizer param groups and scalar state, scheduler state,
                                RNG states (library RNG, loader generator), epoch/step, data-loader
                                position, metrics and task extras

Writes are atomic: each file goes to a temporary file in the same directory, is fsynced, and
is renamed over the target with ``os.replace``; the JSON is written last and names the sha256
of the tensors, so a crash mid-save leaves either the old checkpoint or the new one, and a
tensors file that does not belong to its JSON is detected. :class:`CheckpointManager` writes
the new checkpoint, then the index, and prunes old ones last, so a crash at any point leaves a
resumable run; loading a run directory takes the newest checkpoint that verifies.

Loading is two-phase. :func:`load_checkpoint` reads and checks the files (JSON syntax, format,
sha256, every referenced tensor present) without touching any object; :func:`restore_checkpoint`
then checks the checkpoint against the model/optimizer/scheduler (names, keys, shapes, types)
and only then copies — and rolls everything back if a copy fails anyway. A corrupted or
mismatched checkpoint therefore raises :class:`CheckpointError` and changes nothing.

Checkpoints may come from untrusted places, so before anything is allocated from them the
JSON's types are checked, ``tensors_file`` must be a file name inside the checkpoint's folder,
the safetensors header's shapes must equal the recorded ones, and no integer of the model
config may exceed the largest stored dimension (a model is built from that config).

safetensors is the optional extra ``checkpoint`` (``pip install 'gradwise[checkpoint]'``).
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import math
import os
import pathlib

import numpy as np

from ..core.random import get_rng_state, set_rng_state
from ..core.tensor import Tensor
from .checkpoint_checks import (
    CheckpointError, check_config_fits_tensors, check_metadata, read_header,
)
from .errors import UserError, read_json_file
from .logging import to_jsonable
from .optional import require

FORMAT = "gradwise-checkpoint"
VERSION = 1
INDEX = "index.json"




def _safetensors():
    return require("safetensors.numpy", "checkpointing", "checkpoint")


# -- JSON encoding of state dicts (tuples, int keys and arrays survive the round trip) ----------
def _encode(obj, tensors: dict, name: str):
    if isinstance(obj, Tensor):
        obj = obj.array
    if isinstance(obj, np.ndarray):
        tensors[name] = np.ascontiguousarray(obj)
        return {"__tensor__": name}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{name}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, tensors, f"{name}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(k.startswith("__") for k in obj):
            return {k: _encode(v, tensors, f"{name}.{k}") for k, v in obj.items()}
        return {"__items__": [[_encode(k, tensors, f"{name}.key{i}"),
                               _encode(v, tensors, f"{name}.{k}")]
                              for i, (k, v) in enumerate(obj.items())]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(f"cannot store {name} of type {type(obj).__name__} in a checkpoint "
                          f"(only arrays, numbers, strings, lists, tuples and dicts)")


def _decode(obj, tensors: dict):
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        if "__items__" in obj:
            return {_decode(k, tensors): _decode(v, tensors) for k, v in obj["__items__"]}
        return {k: _decode(v, tensors) for k, v in obj.items()}
    return obj


def _tensor_refs(obj):
    if isinstance(obj, list):
        for v in obj:
            yield from _tensor_refs(v)
    elif isinstance(obj, dict):
        if "__tensor__" in obj:
            yield obj["__tensor__"]
        for v in obj.values():
            yield from _tensor_refs(v)


# -- atomic file writes ---------------------------------------------------------------------------
def _fsync_dir(directory: pathlib.Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_atomic(tmp: pathlib.Path, target: pathlib.Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)


def _dump_json(path: pathlib.Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, allow_nan=True)
        f.write("\n")


def _write_atomic(target: pathlib.Path, write) -> None:
    """``write(tmp)`` into a temporary file beside ``target``, fsync it, rename it over
    ``target``. An error removes the temporary file; a kill leaves it, and resuming removes it
    (:func:`gradwise.train.logging.remove_partial_writes`)."""
    tmp = _tmp_path(target)
    try:
        write(tmp)
        _replace_atomic(tmp, target)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise


def _remove(path: pathlib.Path) -> None:
    path.unlink(missing_ok=True)


def _tmp_path(target: pathlib.Path) -> pathlib.Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def _sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stem(path) -> pathlib.Path:
    path = pathlib.Path(path)
    return path.with_suffix("") if path.suffix in (".json", ".safetensors") else path


# -- save ------------------------------------------------------------------------------------------
def save_checkpoint(path, model, optimizer=None, scheduler=None, *, loader=None,
                    model_name: str = "", model_config=None, epoch: int = 0, step: int = 0,
                    metrics: dict | None = None, extra: dict | None = None,
                    extra_tensors: dict | None = None, save_rng: bool = True,
                    log_position: dict | None = None) -> pathlib.Path:
    """Write a checkpoint as ``<path>.safetensors`` + ``<path>.json``; returns the JSON path.

    Args:
        path: file stem (a ``.json``/``.safetensors`` suffix is ignored).
        model: the Module whose ``state_dict()`` is saved.
        optimizer, scheduler: saved with their ``state_dict()`` when given.
        loader: a DataLoader with ``state_dict()`` (position in the epoch and its generator).
        model_name, model_config: how to rebuild the model (name and JSON-able config).
        epoch, step: training progress counters.
        metrics: latest metric values (numbers).
        extra: task data (JSON-able: vocabularies, task config, trainer state).
        extra_tensors: arrays to keep beside the parameters (e.g. a carried hidden state).
        save_rng: record the library RNG state (needed for an exact resume).
        log_position: how many rows the run's metric logs held (see ``MetricLogger.position``);
            resuming cuts the logs back to it.
    """
    st = _safetensors()
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict = {}
    model_state = model.state_dict()
    model_keys = {}
    for key, value in model_state.items():
        array = np.ascontiguousarray(value.array).reshape(value.shape)  # keeps 0-d buffers 0-d
        tensors[f"model.{key}"] = array
        model_keys[key] = {"shape": list(array.shape), "dtype": str(array.dtype)}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "epoch": int(epoch),
        "step": int(step),
        "model": {"name": model_name, "class": type(model).__name__,
                  "config": _encode(to_jsonable(model_config), tensors, "model_config"),
                  "keys": model_keys},
        "optimizer": None,
        "scheduler": None,
        "loader": None,
        "rng": ({"gradwise": _encode(get_rng_state(), tensors, "rng.gradwise")}
                if save_rng else None),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "extra": _encode(to_jsonable(extra or {}), tensors, "extra_json"),
    }
    if optimizer is not None:
        meta["optimizer"] = {"type": type(optimizer).__name__,
                             "state_dict": _encode(optimizer.state_dict(), tensors, "optimizer")}
    if scheduler is not None:
        meta["scheduler"] = {"type": type(scheduler).__name__,
                             "state_dict": _encode(scheduler.state_dict(), tensors, "scheduler")}
    if loader is not None:
        meta["loader"] = {"type": type(loader).__name__,
                          "state_dict": _encode(loader.state_dict(), tensors, "loader")}
    for name, value in (extra_tensors or {}).items():
        tensors[f"extra.{name}"] = np.ascontiguousarray(
            value.array if isinstance(value, Tensor) else value)
    meta["extra_tensors"] = sorted(k[len("extra."):] for k in tensors if k.startswith("extra."))

    tensors_path = stem.with_suffix(".safetensors")
    json_path = stem.with_suffix(".json")
    _write_atomic(tensors_path, lambda tmp: st.save_file(tensors, str(tmp)))
    meta["tensors_file"] = tensors_path.name
    meta["tensors_sha256"] = _sha256(tensors_path)
    if log_position is not None:
        meta["log_position"] = dict(log_position)
    _write_atomic(json_path, lambda tmp: _dump_json(tmp, meta))
    _fsync_dir(stem.parent)
    return json_path


# -- load (read and check the files) --------------------------------------------------------------
class Checkpoint:
    """A checkpoint read from disk and checked for integrity (see :func:`load_checkpoint`)."""

    def __init__(self, path: pathlib.Path, meta: dict, tensors: dict):
        self.path, self.meta, self.tensors = path, meta, tensors
        self.skipped: list[str] = []   # why newer checkpoints of its directory were passed over

    @property
    def epoch(self) -> int:
        return self.meta["epoch"]

    @property
    def step(self) -> int:
        return self.meta["step"]

    @property
    def model_name(self) -> str:
        return self.meta["model"]["name"]

    @property
    def model_config(self):
        return _decode(self.meta["model"]["config"], self.tensors)

    @property
    def metrics(self) -> dict:
        return self.meta.get("metrics", {})

    @property
    def log_position(self) -> dict | None:
        return self.meta.get("log_position")

    @property
    def extra(self) -> dict:
        return _decode(self.meta.get("extra", {}), self.tensors)

    @property
    def extra_tensors(self) -> dict:
        return {k: self.tensors[f"extra.{k}"] for k in self.meta.get("extra_tensors", [])}

    def model_state(self) -> dict:
        return {k: self.tensors[f"model.{k}"] for k in self.meta["model"]["keys"]}

    def __repr__(self):
        return (f"Checkpoint({str(self.path)!r}, model={self.model_name!r}, "
                f"epoch={self.epoch}, step={self.step})")


def find_checkpoint(path, which: str = "latest") -> pathlib.Path:
    """The JSON file of a checkpoint given its JSON or tensors file, a checkpoints directory
    (its ``index.json``: ``which`` is "latest" or "best") or a run directory.

    Raises:
        CheckpointError: nothing checkpoint-like at ``path``.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        directory = _checkpoint_dir(path)
        if directory is None:
            raise CheckpointError(f"no checkpoint in directory {path}", "pass a run directory, "
                                  "its checkpoints/ folder or a ckpt-*.json file")
        entry = _read_index(directory / INDEX).get(which)
        if not entry or not isinstance(entry, str) or pathlib.Path(entry).name != entry:
            raise CheckpointError(f"{directory / INDEX} records no {which!r} checkpoint",
                                  "pass the checkpoint's .json file directly")
        return directory / f"{entry}.json"
    if path.suffix == ".safetensors":
        return path.with_suffix(".json")
    if path.suffix != ".json" and not path.exists() and path.with_suffix(".json").exists():
        return path.with_suffix(".json")
    return path


def _checkpoint_dir(path: pathlib.Path) -> pathlib.Path | None:
    for directory in (path, path / "checkpoints"):
        if (directory / INDEX).exists() or any(directory.glob("ckpt-*.json")):
            return directory
    return None


def _read_index(path: pathlib.Path) -> dict:
    if not path.exists():
        return {}
    index = read_json_file(path, f"{path}: unreadable checkpoint index", CheckpointError,
                           "pass the checkpoint's .json file directly")
    if not isinstance(index, dict):
        raise CheckpointError(f"{path}: a checkpoint index must be a JSON object, got "
                              f"{type(index).__name__}",
                              "pass the checkpoint's .json file directly")
    return index


def load_checkpoint(path, which: str = "latest") -> Checkpoint:
    """Read a checkpoint and check its integrity; no model, optimizer or RNG is touched.

    For a run or checkpoints directory and ``which="latest"`` this is the newest checkpoint
    that verifies: a crash may have left the index behind the files, or the newest files
    incomplete.

    Raises:
        CheckpointError: missing files, invalid JSON, wrong format or version, a tensors file
            whose sha256 differs from the one recorded, or a referenced tensor that is absent.
    """
    path = pathlib.Path(path)
    if which != "latest" or not path.is_dir() or _checkpoint_dir(path) is None:
        return _load_one(find_checkpoint(path, which))
    directory = _checkpoint_dir(path)
    names = {p.stem for p in directory.glob("ckpt-*.json")}
    skipped = []
    try:
        names.add(find_checkpoint(directory).stem)
    except CheckpointError as e:
        skipped.append(e)
    for name in sorted(names, reverse=True):       # zero-padded steps: newest first
        try:
            ckpt = _load_one(directory / f"{name}.json")
        except CheckpointError as e:
            skipped.append(e)
            continue
        ckpt.skipped = [str(e) for e in skipped]
        return ckpt
    raise skipped[0] if skipped else CheckpointError(f"no checkpoint in directory {path}")


def _load_one(json_path: pathlib.Path) -> Checkpoint:
    hint = "the file may be truncated or from another program; use another checkpoint"
    if not json_path.exists():
        raise CheckpointError(f"checkpoint not found: {json_path}",
                              "check the path; `ls runs/*/checkpoints` lists the saved ones")
    meta = read_json_file(json_path, f"{json_path} is not a valid checkpoint", CheckpointError,
                          hint)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{json_path} is not a gradwise checkpoint (no format "
                              f"{FORMAT!r})", hint)
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{json_path}: checkpoint version {meta.get('version')!r} is not "
                              f"supported (this gradwise reads version {VERSION})")
    check_metadata(meta, json_path)
    tensors_path = json_path.parent / meta["tensors_file"]
    if not tensors_path.exists():
        raise CheckpointError(f"{json_path}: its tensors file {tensors_path.name} is missing",
                              "copy the .safetensors file next to the .json file")
    digest = _sha256(tensors_path)
    if digest != meta["tensors_sha256"]:
        raise CheckpointError(
            f"{tensors_path} is corrupted or does not belong to {json_path.name}: sha256 "
            f"{digest[:16]}…, expected {meta['tensors_sha256'][:16]}…", hint)
    header = read_header(tensors_path)
    for key, info in meta["model"]["keys"].items():
        entry = header.get(f"model.{key}")
        if entry is None:
            raise CheckpointError(f"{tensors_path}: tensor model.{key} named in the metadata is "
                                  f"absent", hint)
        if list(entry["shape"]) != info["shape"]:
            raise CheckpointError(f"{tensors_path}: tensor model.{key} has shape "
                                  f"{tuple(entry['shape'])}, the metadata says "
                                  f"{tuple(info['shape'])}", hint)
    check_config_fits_tensors(meta["model"]["config"], header, json_path)
    st = _safetensors()
    try:
        tensors = st.load_file(str(tensors_path))
    except Exception as e:  # safetensors raises its own error types for malformed files
        raise CheckpointError(f"{tensors_path}: cannot read tensors ({e})", hint) from None
    refs = set(_tensor_refs(meta))
    refs.update(f"model.{k}" for k in meta["model"]["keys"])
    refs.update(f"extra.{k}" for k in meta["extra_tensors"])
    absent = sorted(refs - set(tensors))
    if absent:
        raise CheckpointError(f"{tensors_path}: tensors {absent[:5]} named in the metadata are "
                              f"absent", hint)
    return Checkpoint(json_path, meta, tensors)


# -- restore (check against the live objects, then copy) ----------------------------------------
def _check_model(ckpt: Checkpoint, model, where: str) -> None:
    own = model.state_dict()
    saved = ckpt.meta["model"]["keys"]
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    problems = []
    if missing:
        problems.append(f"missing keys {missing[:5]}{' …' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected[:5]}{' …' if len(unexpected) > 5 else ''}")
    for key, value in own.items():
        if key in saved and tuple(saved[key]["shape"]) != tuple(value.shape):
            problems.append(f"{key}: checkpoint shape {tuple(saved[key]['shape'])}, model shape "
                            f"{tuple(value.shape)}")
    if problems:
        raise CheckpointError(
            f"{where} does not fit {type(model).__name__}: " + "; ".join(problems[:6]),
            "the checkpoint was saved for a different model or configuration; "
            "rebuild the model from the checkpoint's config (gradwise eval CKPT does)")


def _check_optimizer(ckpt: Checkpoint, optimizer, where: str) -> dict:
    info = ckpt.meta.get("optimizer")
    if info is None:
        raise CheckpointError(f"{where} holds no optimizer state, so training cannot resume "
                              f"from it", "start a new run, or load it for evaluation only")
    if info["type"] != type(optimizer).__name__:
        raise CheckpointError(f"{where} holds {info['type']} state, the optimizer is "
                              f"{type(optimizer).__name__}",
                              "resume with the optimizer the run was started with")
    state = _decode(info["state_dict"], ckpt.tensors)
    groups = state.get("param_groups", [])
    if len(groups) != len(optimizer.param_groups):
        raise CheckpointError(f"{where}: {len(groups)} optimizer parameter groups, expected "
                              f"{len(optimizer.param_groups)}")
    params = []
    for i, (g, own) in enumerate(zip(groups, optimizer.param_groups)):
        if len(g["params"]) != len(own["params"]):
            raise CheckpointError(f"{where}: optimizer group {i} has {len(g['params'])} "
                                  f"parameters, expected {len(own['params'])}")
        params += list(zip(g["params"], own["params"]))
    index = dict(params)
    for key, values in state.get("state", {}).items():
        if key not in index:
            raise CheckpointError(f"{where}: optimizer state for unknown parameter {key}")
        for name, v in values.items():
            if isinstance(v, np.ndarray) and v.shape != index[key].shape:
                raise CheckpointError(f"{where}: optimizer state[{key}][{name!r}] has shape "
                                      f"{v.shape}, the parameter has {index[key].shape}")
    return state


def restore_checkpoint(ckpt, model, optimizer=None, scheduler=None, loader=None, *,
                       model_name: str | None = None, restore_rng: bool = True) -> Checkpoint:
    """Load a checkpoint into live objects, all or nothing.

    Args:
        ckpt: a :class:`Checkpoint` or a path (read with :func:`load_checkpoint`).
        model: receives the parameters and buffers (keys and shapes must match exactly).
        optimizer, scheduler, loader: receive their saved state when given.
        model_name: if given, the checkpoint's model name must equal it.
        restore_rng: also restore the library RNG state.

    Raises:
        CheckpointError: anything that does not fit; nothing has been modified then.
    """
    if not isinstance(ckpt, Checkpoint):
        ckpt = load_checkpoint(ckpt)
    where = f"checkpoint {ckpt.path}"
    if model_name is not None and ckpt.model_name != model_name:
        raise CheckpointError(f"{where} is for model {ckpt.model_name!r}, not {model_name!r}",
                              f"use a checkpoint of {model_name!r} or build {ckpt.model_name!r}")
    _check_model(ckpt, model, where)
    opt_state = _check_optimizer(ckpt, optimizer, where) if optimizer is not None else None
    sched_state = loader_state = None
    if scheduler is not None:
        info = ckpt.meta.get("scheduler")
        if info is None or info["type"] != type(scheduler).__name__:
            raise CheckpointError(f"{where} holds scheduler state "
                                  f"{None if info is None else info['type']!r}, expected "
                                  f"{type(scheduler).__name__!r}",
                                  "resume with the same --scheduler as the original run")
        sched_state = _decode(info["state_dict"], ckpt.tensors)
    if loader is not None:
        info = ckpt.meta.get("loader")
        if info is None:
            raise CheckpointError(f"{where} holds no data-loader position")
        loader_state = _decode(info["state_dict"], ckpt.tensors)
    rng_state = None
    if restore_rng:
        if ckpt.meta.get("rng") is None:
            raise CheckpointError(f"{where} holds no RNG state")
        rng_state = _decode(ckpt.meta["rng"]["gradwise"], ckpt.tensors)

    # snapshot, copy, and roll back on any failure: the model, RNG and optimizer from copies of
    # their arrays and groups, the scheduler and loader through copies of their own state_dict
    undo = [_snapshot_model(model), _snapshot_rng()]
    undo += [_snapshot_optimizer(optimizer)] if optimizer is not None else []
    undo += [_snapshot_state(scheduler)] if scheduler is not None else []
    undo += [_snapshot_state(loader)] if loader is not None else []
    try:
        model.load_state_dict(ckpt.model_state())
        if optimizer is not None:
            optimizer.load_state_dict(opt_state)
        if scheduler is not None:
            scheduler.load_state_dict(sched_state)
        if loader is not None:
            loader.load_state_dict(loader_state)
        if rng_state is not None:
            set_rng_state(rng_state)
    except Exception as e:
        for restore in undo:
            restore()
        raise CheckpointError(f"{where} could not be loaded: {e}") from None
    return ckpt


def _snapshot_model(model):
    own = model.state_dict(keep_vars=True)
    saved = {k: v.array.copy() for k, v in own.items()}

    def restore():
        for k, v in own.items():
            v.array[...] = saved[k]
    return restore


def _snapshot_rng():
    saved = copy.deepcopy(get_rng_state())
    return lambda: set_rng_state(saved)


def _snapshot_optimizer(optimizer):
    def copy_value(v):
        return Tensor(v.array.copy()) if isinstance(v, Tensor) else copy.deepcopy(v)

    state_cls = type(optimizer.state)
    state = [(p, {k: copy_value(v) for k, v in s.items()}) for p, s in optimizer.state.items()]
    groups = [{k: (list(v) if k == "params" else copy.deepcopy(v)) for k, v in g.items()}
              for g in optimizer.param_groups]

    def restore():
        restored = state_cls(dict) if state_cls is not dict else {}
        restored.update(state)
        optimizer.state = restored
        optimizer.param_groups = groups
    return restore


def _snapshot_state(obj):
    saved = copy.deepcopy(obj.state_dict())

    def restore():
        try:
            obj.load_state_dict(copy.deepcopy(saved))
        except Exception:  # its own load_state_dict is what failed; the others still roll back
            pass
    return restore


# -- keep last K and best ------------------------------------------------------------------------
class CheckpointManager:
    """Save checkpoints into a directory, keep the last ``keep_last`` and the best one.

    ``index.json`` records the checkpoints in order, the latest, and the best by the monitored
    metric. A save writes the new checkpoint, then the index (atomically), and deletes pruned
    checkpoints last, so a crash at any point leaves an index whose checkpoints exist plus at
    most some extra files. On construction the index is reconciled with the files on disk (a
    crash may have left it behind them), so a resumed run keeps pruning and tracking the best.

    Args:
        directory: where the ``ckpt-<step>.{safetensors,json}`` files go.
        keep_last: number of most recent checkpoints to keep (≥ 1).
        monitor: metric name deciding the best checkpoint (e.g. "val_loss"); None: no best.
        mode: "min" or "max" for the monitored metric.
        logger: a MetricLogger whose ``position()`` each checkpoint records, so that a resume
            cuts the logs back to exactly what they held at that checkpoint.
    """

    def __init__(self, directory, keep_last: int = 3, monitor: str | None = None,
                 mode: str = "min", logger=None):
        if keep_last < 1:
            raise ValueError(f"CheckpointManager: keep_last must be >= 1, got {keep_last}")
        if mode not in ("min", "max"):
            raise ValueError(f"CheckpointManager: mode must be 'min' or 'max', got {mode!r}")
        self.directory = pathlib.Path(directory)
        self.keep_last, self.monitor, self.mode = keep_last, monitor, mode
        self.logger = logger
        self.index = {"checkpoints": [], "latest": None, "best": None, "best_value": None,
                      "monitor": monitor, "mode": mode}
        self.index.update(_read_index(self.directory / INDEX))
        self._reconcile()

    def _reconcile(self) -> None:
        on_disk = {p.stem for p in self.directory.glob("ckpt-*.json")}
        listed = self.index["checkpoints"]
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise CheckpointError(f"{self.directory / INDEX}: 'checkpoints' must be a list of "
                                  f"names, got {listed!r}"[:200])
        names = [n for n in listed if n in on_disk] + sorted(on_disk - set(listed))
        self.index["checkpoints"] = names
        self.index["latest"] = max(names) if names else None
        if not self.monitor:
            return
        # the best is never pruned, so the best on disk, in save order, is the best ever saved
        # (an index write killed after its checkpoint's JSON may not have recorded it)
        self.index["best"] = self.index["best_value"] = None
        for name in sorted(on_disk):
            try:
                value = read_json_file(self.directory / f"{name}.json", name).get(
                    "metrics", {}).get(self.monitor)
            except (UserError, AttributeError):
                continue
            if isinstance(value, (int, float)) and self.is_better(value):
                self.index["best"], self.index["best_value"] = name, float(value)

    def is_better(self, value: float) -> bool:
        best = self.index["best_value"]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if best is None:
            return True
        return value < best if self.mode == "min" else value > best

    def save(self, model, optimizer=None, scheduler=None, *, step: int, metrics=None,
             **kwargs) -> pathlib.Path:
        """Save ``ckpt-<step>`` (arguments as :func:`save_checkpoint`), update index, prune."""
        name = self._name(step)
        if self.logger is not None:
            kwargs.setdefault("log_position", self.logger.position())
        path = save_checkpoint(self.directory / name, model, optimizer, scheduler, step=step,
                               metrics=metrics, **kwargs)
        names = [n for n in self.index["checkpoints"] if n != name] + [name]
        self.index["latest"] = name
        value = (metrics or {}).get(self.monitor) if self.monitor else None
        if self.monitor and self.is_better(value):
            self.index["best"], self.index["best_value"] = name, float(value)
        keep = set(names[-self.keep_last:]) | {self.index["best"]}
        self.index["checkpoints"] = [n for n in names if n in keep]
        self.write_index()
        for old in names:
            if old not in keep:
                for suffix in (".json", ".safetensors"):  # JSON first: no orphan JSON remains
                    _remove(self.directory / f"{old}{suffix}")
        return path

    def write_index(self) -> None:
        """Write ``index.json`` atomically (a resume calls it once the checkpoint it loaded has
        been validated: the index reconciled with the files on disk replaces a stale one)."""
        _write_atomic(self.directory / INDEX, lambda tmp: _dump_json(tmp, self.index))

    @staticmethod
    def _name(step: int) -> str:
        return f"ckpt-{step:08d}"

    def has_step(self, step: int) -> bool:
        """Whether the index lists a checkpoint of optimizer step ``step``."""
        return self._name(step) in self.index["checkpoints"]

    def log_position(self, step: int) -> dict | None:
        """The log position recorded by the checkpoint of ``step`` (None if it has none)."""
        path = self.directory / f"{self._name(step)}.json"
        meta = read_json_file(path, str(path), CheckpointError)
        return meta.get("log_position") if isinstance(meta, dict) else None

    def latest(self) -> pathlib.Path | None:
        n = self.index["latest"]
        return self.directory / f"{n}.json" if n else None

    def best(self) -> pathlib.Path | None:
        n = self.index["best"]
        return self.directory / f"{n}.json" if n else None
