"""matplotlib access for the plots: an optional extra, used through the object API on Agg.

Figures are built with ``matplotlib.figure.Figure`` and saved with its Agg canvas, so plotting
never touches pyplot's global state or the user's interactive backend.
"""
from __future__ import annotations

import pathlib

from ..train.optional import require


def new_figure(width: float = 6.4, height: float = 4.8):
    """A fresh Figure drawn by the Agg canvas; raises MissingDependencyError without matplotlib."""
    require("matplotlib", "plotting", "plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path) -> pathlib.Path:
    """Write the figure as PNG (creating the directory) and return the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
