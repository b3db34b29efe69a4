"""The protocol a task module is written against, implemented in ``gradwise.train.runner``.

A task supplies ``DESCRIPTION``, ``Config`` (extending :class:`TaskConfig`), ``build(config) ->
Parts``, ``model_from_checkpoint`` and ``test``; :func:`run_task` trains and tests it,
:func:`evaluate_task` tests a checkpoint of it (docs/adding_a_task.md). A classification task
whose model outputs class logits on the last axis sets ``ENSEMBLE = True``, and
:func:`evaluate_ensemble` then tests several checkpoints as one averaged model.
"""
from __future__ import annotations

from ..runner import (
    Parts, TaskConfig, evaluate_ensemble, evaluate_task, limit_count, limit_splits, load_model, report, run_task,
    train_and_test,
)

__all__ = ["Parts", "TaskConfig", "evaluate_ensemble", "evaluate_task", "limit_count", "limit_splits", "load_model",
           "report", "run_task", "train_and_test"]
