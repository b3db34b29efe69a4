"""The tasks of ``gradwise train TASK``, one module each, imported on demand.

Each module supplies ``DESCRIPTION``, ``Config``, ``build``, ``model_from_checkpoint`` and
``test`` (docs/adding_a_task.md); ``common.run_task`` trains and tests it and
``common.evaluate_task`` tests a checkpoint of it.
"""
from __future__ import annotations

import importlib

TASKS = ("mnist", "charlm", "wordlm", "sentiment", "pos", "translate", "poetry", "adding", "esn",
         "caption", "degradation")


def get_task(name: str):
    """The task module ``gradwise.train.tasks.<name>``."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    return importlib.import_module(f"{__name__}.{name}")
