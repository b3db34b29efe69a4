"""Training: the fit loop, metrics, progress display, run logs, checkpoints and sampling.

    from gradwise.train import Trainer, EarlyStopping, CheckpointManager, corpus_bleu

Tasks runnable as ``gradwise train TASK`` live in ``gradwise.train.tasks``.
"""
from .checkpoint import (
    Checkpoint, CheckpointError, CheckpointManager, find_checkpoint, load_checkpoint,
    restore_checkpoint, save_checkpoint,
)
from .errors import UserError
from .generate import filter_logits, generate, sample_next
from .logging import MetricLogger, make_run_dir, read_metrics, save_config
from .metrics import (
    Accuracy, BLEUStats, MacroF1, Metric, accuracy, confusion_matrix, corpus_bleu, macro_f1,
    modified_precision, perplexity, token_accuracy,
)
from .optional import MissingDependencyError
from .progress import make_progress
from .trainer import (
    Callback, EarlyStopping, StepOutput, Trainer, evaluate_model, supervised_step,
)

__all__ = [
    "Accuracy", "BLEUStats", "Callback", "Checkpoint", "CheckpointError", "CheckpointManager",
    "EarlyStopping", "MacroF1", "Metric", "MetricLogger", "MissingDependencyError", "StepOutput",
    "Trainer", "accuracy", "confusion_matrix", "corpus_bleu", "evaluate_model", "filter_logits",
    "find_checkpoint", "generate", "load_checkpoint", "macro_f1", "make_progress", "make_run_dir",
    "modified_precision", "perplexity", "read_metrics", "restore_checkpoint", "sample_next",
    "save_checkpoint", "save_config", "supervised_step", "token_accuracy", "UserError",
]
