"""The tasks of ``gradwise train TASK``, one module each, imported on demand.

Each module has ``Config`` (a dataclass of TaskConfig options), ``DESCRIPTION``,
``run(config, run_dir, quiet=False, resume=False) -> dict`` and ``evaluate(ckpt, quiet) -> dict``.
"""
from __future__ import annotations

import importlib

TASKS = ("mnist", "charlm", "wordlm", "sentiment", "pos", "translate", "poetry", "adding", "esn")


def get_task(name: str):
    """The task module ``gradwise.train.tasks.<name>``."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
    return importlib.import_module(f"{__name__}.{name}")
