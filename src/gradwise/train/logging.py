"""Run directories and metric logs: CSV, JSONL and (optionally) TensorBoard event files.

One run, one directory ``runs/<task>-<YYYYmmdd-HHMMSS>/`` holding

    config.json       the full configuration of the run
    metrics.csv       long format: step,epoch,split,metric,value (one row per value)
    metrics.jsonl     one JSON object per logged record: {"step", "epoch", "split", ...metrics}
    events.out.tfevents.*   TensorBoard scalars, when tensorboardX is installed
    checkpoints/      see ``checkpoint.py``
    *.png             plots (``gradwise plot RUN``)

TensorBoard files are written by tensorboardX (``pip install gradwise[tensorboard]``); the
protobuf is never written by hand.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import pathlib

CSV_FIELDS = ("step", "epoch", "split", "metric", "value")


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
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(to_jsonable(obj), f, indent=2, sort_keys=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_config(run_dir, config) -> pathlib.Path:
    """Write ``config.json`` (a dataclass or dict) into the run directory."""
    path = pathlib.Path(run_dir) / "config.json"
    write_json_atomic(path, config)
    return path


ARTIFACTS = ("gradient_flow", "confusion", "attention", "feature_maps", "free_run")


def save_artifact(run_dir, name: str, obj) -> pathlib.Path:
    """Write plot data ``<run_dir>/<name>.json`` for ``gradwise plot RUN`` to draw later.

    Known names (see ``gradwise.viz.plot_run``): ``gradient_flow`` {"series": {label: [norm per
    step]}}, ``confusion`` {"matrix", "labels"}, ``attention`` {"weights", "source", "target"},
    ``feature_maps`` {"maps" (C, H, W), "layer"}, ``free_run`` {"history", "target",
    "series": {label: predictions}, "title"}.
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
    resumed run continues the same files.
    """

    def __init__(self, run_dir, tensorboard: bool | None = None):
        self.run_dir = pathlib.Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.run_dir / "metrics.csv"
        self.jsonl_path = self.run_dir / "metrics.jsonl"
        new_csv = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
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
