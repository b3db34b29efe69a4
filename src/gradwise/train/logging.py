"""Run directories and metric logs: CSV, JSONL and (optionally) TensorBoard event files.

One run, one directory ``runs/<task>-<YYYYmmdd-HHMMSS>/`` holding

    config.json       the full configuration of the run
    metrics.csv       long format: step,epoch,split,metric,value (one row per value)
    metrics.jsonl     one JSON object per logged record: {"step", "epoch", "split", ...metrics}
    events.out.tfevents.*   TensorBoard scalars, when tensorboardX is installed
    checkpoints/      see ``checkpoint.py``
    *.png             plots (``gradwise plot RUN``)

TensorBoard files are written by tensorboardX (``pip install gradwise[tensorboard]``); the
protobuf is never written by hand. While a run trains, ``.lock`` in its directory is locked
(:func:`lock_run_dir`), so a second process given the same directory is refused.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import pathlib

CSV_FIELDS = ("step", "epoch", "split", "metric", "value")
LOCK_FILE = ".lock"


def to_jsonable(obj):
    """Dataclasses, paths, tuples and NumPy scalars as plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    return obj


def make_run_dir(root, task: str, now: _dt.datetime | None = None) -> pathlib.Path:
    """Create and return a fresh ``root/<task>-<timestamp>`` (``-2``, ``-3``… if taken)."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    base = root / f"{task}-{stamp}"
    path, i = base, 1
    while True:
        try:
            path.mkdir()
            return path
        except FileExistsError:
            i += 1
            path = base.with_name(f"{base.name}-{i}")


def write_json_atomic(path, obj) -> None:
    """Write JSON to ``path`` through a temporary file in the same directory and os.replace."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(to_jsonable(obj), f, indent=2, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise


def remove_partial_writes(run_dir) -> list:
    """Delete what killed writes left in a run directory (call it while holding the run's
    lock): the ``.<name>.tmp-<pid>`` files of atomic writes, and checkpoint tensors without
    their JSON (a save killed before its JSON, or a prune killed after deleting it). Returns
    the removed paths."""
    run_dir = pathlib.Path(run_dir)
    removed = []
    for directory in (run_dir, run_dir / "checkpoints"):
        for path in sorted(directory.glob(".*.tmp-*")):
            if path.is_file() and path.name.rpartition(".tmp-")[2].isdigit():
                removed.append(path)
    for path in sorted((run_dir / "checkpoints").glob("ckpt-*.safetensors")):
        if not path.with_suffix(".json").exists():
            removed.append(path)
    for path in removed:
        path.unlink()
    return removed


@contextlib.contextmanager
def lock_run_dir(run_dir):
    """Hold an exclusive lock on ``run_dir/.lock`` while the block runs.

    Raises:
        UserError: another process holds it (it is training into the same directory).
    """
    from .errors import UserError

    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; runs are not guarded
        yield
        return
    path = pathlib.Path(run_dir) / LOCK_FILE
    with open(path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            owner = f.read().strip() or "another process"
            raise UserError(f"run directory {run_dir} is in use by {owner}",
                            "wait for that run to finish, or pass another --run-dir") from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def save_config(run_dir, config) -> pathlib.Path:
    """Write ``config.json`` (a dataclass or dict) into the run directory."""
    path = pathlib.Path(run_dir) / "config.json"
    write_json_atomic(path, config)
    return path


ARTIFACTS = ("gradient_flow", "confusion", "attention", "feature_maps", "free_run", "captions")


def save_artifact(run_dir, name: str, obj) -> pathlib.Path:
    """Write plot data ``<run_dir>/<name>.json`` for ``gradwise plot RUN`` to draw later.

    Known names (see ``gradwise.viz.plot_run``): ``gradient_flow`` {"series": {label: [norm per
    step]}}, ``confusion`` {"matrix", "labels"}, ``attention`` {"weights", "source", "target"},
    ``feature_maps`` {"maps" (C, H, W), "layer"}, ``free_run`` {"history", "target",
    "series": {label: predictions}, "title"}, ``captions`` {"images", "captions",
    "references", "attention": [(words, L) per image]}.
    """
    if name not in ARTIFACTS:
        raise ValueError(f"save_artifact: unknown artifact {name!r}, expected one of {ARTIFACTS}")
    path = pathlib.Path(run_dir) / f"{name}.json"
    write_json_atomic(path, _lists(obj))
    return path


def _lists(obj):
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return to_jsonable(obj)


def have_tensorboardx() -> bool:
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        return False
    return True


class MetricLogger:
    """Append metrics of a run to metrics.csv, metrics.jsonl and TensorBoard.

    Args:
        run_dir: the run directory (created if missing).
        tensorboard: True requires tensorboardX, False disables it, None (default) uses it when
            installed.

    Rows are appended and flushed at every ``log`` call, so a killed run keeps its curves and a
    resumed run continues the same files, cut back to their :meth:`position` at the checkpoint
    it resumes from (:meth:`truncate_to`).
    """

    def __init__(self, run_dir, tensorboard: bool | None = None):
        self.run_dir = pathlib.Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.run_dir / "metrics.csv"
        self.jsonl_path = self.run_dir / "metrics.jsonl"
        new_csv = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
        self._rows = {"csv_rows": 0 if new_csv else _count_lines(self.csv_path) - 1,
                      "jsonl_lines": _count_lines(self.jsonl_path)}
        self._csv_file = open(self.csv_path, "a", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        if new_csv:
            self._csv.writerow(CSV_FIELDS)
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8")
        self.writer = None
        if tensorboard or (tensorboard is None and have_tensorboardx()):
            if not have_tensorboardx():
                raise ImportError("TensorBoard logging needs tensorboardX: "
                                  "pip install 'gradwise[tensorboard]'")
            from tensorboardX import SummaryWriter

            self.writer = SummaryWriter(logdir=str(self.run_dir))

    def log(self, step: int, metrics: dict, split: str = "train", epoch: int | None = None):
        """Record scalar ``metrics`` (name -> number) at global ``step`` for ``split``."""
        values = {k: float(v) for k, v in metrics.items()}
        for name, value in values.items():
            self._csv.writerow([step, "" if epoch is None else epoch, split, name, repr(value)])
            if self.writer is not None:
                self.writer.add_scalar(f"{split}/{name}", value, step)
        record = {"step": step, "epoch": epoch, "split": split}
        record.update({k: (v if math.isfinite(v) else str(v)) for k, v in values.items()})
        self._jsonl.write(json.dumps(record) + "\n")
        self._csv_file.flush()
        self._jsonl.flush()
        self._rows["csv_rows"] += len(values)
        self._rows["jsonl_lines"] += 1

    def position(self) -> dict:
        """How many data rows metrics.csv and lines metrics.jsonl hold now."""
        return dict(self._rows)

    def truncate_to(self, position: dict) -> None:
        """Cut metrics.csv/jsonl back to a :meth:`position` (what they held at a checkpoint):
        the rows a killed run logged after it, or a partly written last row, go."""
        for key in ("csv_rows", "jsonl_lines"):
            if not isinstance(position.get(key), int) or position[key] < 0:
                raise ValueError(f"MetricLogger.truncate_to: expected a count {key!r} >= 0, got "
                                 f"{position.get(key)!r}")
        self._csv_file.close()
        self._jsonl.close()
        lines = self.csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = lines[:1 + position["csv_rows"]]
        self.csv_path.write_text("".join(_whole(line) for line in kept), encoding="utf-8")
        lines = self.jsonl_path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = lines[:position["jsonl_lines"]]
        self.jsonl_path.write_text("".join(_whole(line) for line in kept), encoding="utf-8")
        self._rows = {"csv_rows": max(len(_nonempty(self.csv_path)) - 1, 0),
                      "jsonl_lines": len(_nonempty(self.jsonl_path))}
        self._csv_file = open(self.csv_path, "a", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8")

    def truncate_after(self, step: int) -> None:
        """Drop the CSV/JSONL records logged after ``step`` (a run resumed from a checkpoint at
        ``step`` would otherwise repeat the steps it redoes). TensorBoard files are left as
        they are: TensorBoard shows the later points of a repeated step."""
        self._csv_file.close()
        self._jsonl.close()
        with open(self.csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        kept = [rows[0]] + [r for r in rows[1:] if int(r[0]) <= step] if rows else []
        with open(self.csv_path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(kept)
        lines = self.jsonl_path.read_text(encoding="utf-8").splitlines()
        lines = [line for line in lines if json.loads(line)["step"] <= step]
        self.jsonl_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        self._csv_file = open(self.csv_path, "a", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8")

    def close(self):
        self._csv_file.close()
        self._jsonl.close()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _count_lines(path: pathlib.Path) -> int:
    return len(_nonempty(path)) if path.exists() else 0


def _nonempty(path: pathlib.Path) -> list:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def _whole(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


def read_metrics(run_dir) -> dict:
    """Read metrics.csv back as ``{(split, metric): (steps array, values array)}``."""
    import numpy as np

    path = pathlib.Path(run_dir) / "metrics.csv"
    if not path.exists():
        raise FileNotFoundError(f"no metrics.csv in {run_dir}")
    series: dict = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["split"], row["metric"])
            series.setdefault(key, ([], []))
            series[key][0].append(int(row["step"]))
            series[key][1].append(float(row["value"]))
    return {k: (np.asarray(s), np.asarray(v)) for k, (s, v) in series.items()}
