"""Line plots: training curves per metric, and gradient norm per time step (log scale)."""
from __future__ import annotations

import math

import numpy as np

from ._mpl import new_figure, save

_SPLIT_STYLE = {"train": "-", "val": "-o", "train_epoch": "--", "test": "s"}


def plot_curves(series: dict, path, title: str = "", metrics=None):
    """One panel per metric, one line per split (train, val, ...), against the global step.

    Args:
        series: ``{(split, metric): (steps, values)}`` as returned by ``read_metrics(run_dir)``.
        path: PNG file to write.
        title: figure title.
        metrics: metric names to draw, in order; default all except ``lr``/``grad_norm`` when
            there are more than four.

    Returns:
        the path written.
    """
    names = list(dict.fromkeys(m for _, m in series))
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"plot_curves: no series for metrics {unknown}; have {names}")
        names = list(metrics)
    elif len(names) > 4:
        names = [m for m in names if m not in ("lr", "grad_norm", "step_time")]
    if not names:
        raise ValueError("plot_curves: no metric series to plot")
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    fig = new_figure(4.2 * cols, 3.2 * rows)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        for (split, metric), (steps, values) in series.items():
            if metric != name:
                continue
            ax.plot(steps, values, _SPLIT_STYLE.get(split, "-"), label=split, markersize=3)
        if name in ("loss", "ppl") and all(
                np.all(np.asarray(v) > 0) for (s, m), (_, v) in series.items() if m == name):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save(fig, path)


def plot_comparison(series: dict, path, ylabel: str, title: str = "", percent: bool = False):
    """One metric of several runs on one axis, one line per run, against the global step.

    Args:
        series: ``{label: (steps, values)}``, e.g. the training error of four networks.
        path: PNG file to write.
        ylabel: the metric's name on the y axis.
        percent: draw values × 100 (an error rate as %).

    Returns:
        the path written.
    """
    if not series:
        raise ValueError("plot_comparison: no series given")
    fig = new_figure(7.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for label, (steps, values) in series.items():
        values = np.asarray(values, dtype=np.float64) * (100.0 if percent else 1.0)
        ax.plot(steps, values, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel + (" (%)" if percent else ""))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save(fig, path)


def plot_gradient_flow(norms: dict, path, title: str = "Gradient flow through time",
                       ylabel: str = r"$\|\partial L / \partial h_t\|$"):
    """‖∂L/∂h_t‖ against the time step t, on a log scale, one line per model.

    A loss taken at the LAST step sends its gradient back through the recurrence; for a
    tanh-RNN the norm shrinks geometrically as t goes back (vanishing gradients), for an LSTM
    the additive cell path keeps it far larger.

    Args:
        norms: ``{label: norms (T,)}``, e.g. ``{"tanh RNN": ..., "LSTM": ...}``.
        path: PNG file to write.

    Returns:
        the path written.
    """
    if not norms:
        raise ValueError("plot_gradient_flow: no series given")
    fig = new_figure(7.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for label, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"plot_gradient_flow: series {label!r} must be 1-D (T,), "
                             f"got {values.shape}")
        # a norm that underflowed to 0 has no place on a log axis: leave a gap there
        ax.semilogy(np.arange(1, len(values) + 1), np.where(values > 0, values, np.nan),
                    label=label)
    ax.set_xlabel("time step t")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return save(fig, path)


def plot_free_run(history, target, series: dict, path, title: str = "Free-running prediction"):
    """Multi-step prediction of a time series: the end of the training series, then the target
    and each model's free-running forecast (every prediction fed back as the next input).

    Args:
        history: the last values of the training series (drawn at negative steps).
        target: the true continuation (steps 0 … h−1).
        series: ``{label: forecast (h,)}``.
        path: PNG file to write.

    Returns:
        the path written.
    """
    history, target = np.asarray(history, float), np.asarray(target, float)
    fig = new_figure(8.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(np.arange(-len(history), 0), history, color="0.5", lw=1,
            label="training series (end)")
    ax.plot(np.arange(len(target)), target, "k", lw=1.5, label="target")
    for (label, values), style in zip(series.items(), ("--", ":", "-.", "-")):
        ax.plot(np.arange(len(values)), values, style, lw=1.5, label=label)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("step after the training series")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save(fig, path)

