"""Utilities: shape arithmetic of conv/pool layers and the per-layer model ``summary``."""
from .shape import LayerRow, ModelSummary, conv_output_size, receptive_field, summary
