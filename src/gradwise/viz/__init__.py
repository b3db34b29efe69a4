"""Plots (matplotlib, the optional extra ``plot``): curves, gradient flow, filters, feature maps,
attention heatmaps and confusion matrices, written as PNG files.

    pip install 'gradwise[plot]'

Without matplotlib every function raises ``gradwise.train.MissingDependencyError`` whose message
says how to install it.
"""
from .curves import plot_comparison, plot_curves, plot_gradient_flow
from .maps import (
    plot_attention, plot_caption, plot_confusion_matrix, plot_feature_maps, plot_filters,
)
from .run import compare_runs, plot_run

__all__ = ["compare_runs", "plot_attention", "plot_caption", "plot_comparison",
           "plot_confusion_matrix", "plot_curves",
           "plot_feature_maps", "plot_filters", "plot_gradient_flow", "plot_run"]
