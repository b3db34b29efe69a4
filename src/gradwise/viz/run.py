"""``plot_run``: every plot a run directory has data for, as PNG files in that directory."""
from __future__ import annotations

import json
import pathlib

import numpy as np

from ..train.checkpoint import CheckpointError, find_checkpoint, load_checkpoint
from ..train.logging import read_metrics
from ..train.optional import MissingDependencyError
from .curves import plot_comparison, plot_curves, plot_free_run, plot_gradient_flow
from .maps import (
    plot_attention, plot_caption, plot_confusion_matrix, plot_feature_maps, plot_filters,
)


def _read(path: pathlib.Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON ({e})") from None


def plot_run(run_dir) -> list[pathlib.Path]:
    """Draw the run's curves and its saved plot data; return the PNG paths written.

    Reads ``metrics.csv`` (-> curves.png), ``gradient_flow.json`` (-> gradient_flow.png),
    ``confusion.json`` (-> confusion_matrix.png), ``attention.json`` (-> attention.png),
    ``feature_maps.json`` (-> feature_maps.png), ``free_run.json`` (-> free_run.png), ``captions.json`` (-> caption_<i>.png) and the first 4-D weight of the latest
    checkpoint (-> filters.png), whichever exist.

    Raises:
        FileNotFoundError: ``run_dir`` is not a directory or holds nothing to plot.
        MissingDependencyError: matplotlib is not installed.
    """
    run = pathlib.Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"run directory not found: {run}")
    written = []
    title = run.name
    if (run / "metrics.csv").exists():
        series = read_metrics(run)
        if series:
            written.append(plot_curves(series, run / "curves.png", title=title))
    if (run / "gradient_flow.json").exists():
        data = _read(run / "gradient_flow.json")
        written.append(plot_gradient_flow(data["series"], run / "gradient_flow.png",
                                          title=data.get("title", "Gradient flow through time")))
    if (run / "confusion.json").exists():
        data = _read(run / "confusion.json")
        written.append(plot_confusion_matrix(data["matrix"], run / "confusion_matrix.png",
                                             labels=data.get("labels")))
    if (run / "attention.json").exists():
        data = _read(run / "attention.json")
        written.append(plot_attention(data["weights"], data["source"], data["target"],
                                      run / "attention.png"))
    if (run / "feature_maps.json").exists():
        data = _read(run / "feature_maps.json")
        written.append(plot_feature_maps(data["maps"], run / "feature_maps.png",
                                         title=f"feature maps: {data.get('layer', '')}"))
    if (run / "captions.json").exists():
        data = _read(run / "captions.json")
        for i, image in enumerate(data["images"]):
            attention = data["attention"][i] if data["attention"] else None
            written.append(plot_caption(image, data["captions"][i].split(), attention,
                                        run / f"caption_{i}.png",
                                        reference=data["references"][i]))
    if (run / "free_run.json").exists():
        data = _read(run / "free_run.json")
        written.append(plot_free_run(data["history"], data["target"], data["series"],
                                     run / "free_run.png", title=data.get("title", "")))
    weight = _first_conv_weight(run)
    if weight is not None:
        name, w = weight
        written.append(plot_filters(w, run / "filters.png", title=f"filters: {name}"))
    if not written:
        raise FileNotFoundError(f"nothing to plot in {run}: no metrics.csv, plot data or "
                                f"checkpoint with conv filters")
    return written


def _first_conv_weight(run: pathlib.Path):
    try:
        ckpt = load_checkpoint(find_checkpoint(run))
    except (CheckpointError, MissingDependencyError):
        return None
    for key, array in ckpt.model_state().items():
        if key.endswith("weight") and np.ndim(array) == 4:
            return key, array
    return None


def compare_runs(run_dirs, metric: str, path, labels=None, title: str = "") -> pathlib.Path:
    """Draw ``metric`` ("split/name", e.g. "train/error") of several runs on one figure.

    Each line is labelled by ``labels`` or the run directory's name; error rates are drawn in %.

    Raises:
        ValueError: ``metric`` is not "split/name", labels do not match the runs, or a run has
            no such series (the message lists the ones it has).
    """
    split, sep, name = metric.partition("/")
    if not sep or not split or not name:
        raise ValueError(f"--metric must be SPLIT/NAME such as train/error, got {metric!r}")
    runs = [pathlib.Path(r) for r in run_dirs]
    labels = list(labels) if labels else [r.name for r in runs]
    if len(labels) != len(runs):
        raise ValueError(f"--labels: {len(labels)} labels for {len(runs)} runs")
    series = {}
    for run, label in zip(runs, labels):
        if not (run / "metrics.csv").exists():
            raise FileNotFoundError(f"no metrics.csv in run directory {run}")
        have = read_metrics(run)
        if (split, name) not in have:
            known = ", ".join(sorted(f"{s}/{m}" for s, m in have))
            raise ValueError(f"{run}: no series {metric!r}; it has {known}")
        series[label] = have[(split, name)]
    return plot_comparison(series, path, ylabel=name, title=title,
                           percent=name.endswith("error"))
