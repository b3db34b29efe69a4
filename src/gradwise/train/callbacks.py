"""Trainer callbacks that the tasks share: a wall-time budget, an epoch learning-rate decay,
Kim's max-norm constraint and testing the best checkpoint.

``Callback`` and ``EarlyStopping`` live beside the loop in ``trainer.py``; these build on them.
"""
from __future__ import annotations

import time

from .checkpoint import load_checkpoint, restore_checkpoint
from .optional import require
from .trainer import Callback


class TimeBudget(Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after every step)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.start = None

    def on_fit_start(self, trainer):
        self.start = time.perf_counter()

    def on_step_end(self, trainer, logs):
        if time.perf_counter() - self.start >= self.seconds:
            trainer.should_stop = True


class EpochDecay(Callback):
    """Zaremba et al.'s schedule: lr = lr0 · decay^max(e + 1 − after, 0) for epoch e = 0, 1, …

    With after=4, decay=0.5: epochs 1–4 at lr0, epoch 5 at lr0/2, epoch 6 at lr0/4, …
    Set at the start of every epoch; a run resumed mid-epoch keeps the optimizer's saved lr.
    """

    def __init__(self, lr: float, after: int, decay: float):
        self.lr, self.after, self.decay = lr, after, decay

    def lr_at(self, epoch: int) -> float:
        return self.lr * self.decay ** max(epoch + 1 - self.after, 0)

    def on_epoch_start(self, trainer):
        for group in trainer.optimizer.param_groups:
            group["lr"] = self.lr_at(trainer.epoch)


class MaxNorm(Callback):
    """Kim's max-norm constraint on the output weights (the model's ``max_norm_()``), after
    every optimizer step."""

    def on_step_end(self, trainer, logs):
        trainer.model.max_norm_()


class RestoreBest(Callback):
    """At the end of training, load the checkpoint with the best monitored metric (sentiment's
    ``--restore-best``: Kim's early stopping)."""

    def on_fit_end(self, trainer):
        if trainer.checkpoints is None:
            require("safetensors.numpy", "--restore-best", "checkpoint")
        best = load_checkpoint(trainer.checkpoints.directory, which="best")
        restore_checkpoint(best, trainer.model, restore_rng=False)
        if not trainer.quiet:
            print(f"testing the best checkpoint: step {best.step} (epoch {best.epoch})")
