"""Running a ``gradwise train TASK``: the base config, optimizer/scheduler choice, the run
directory, the Trainer with logging and checkpoints, resuming, testing and ``gradwise eval``.

A task module (``train/tasks/``) supplies ``DESCRIPTION``, ``Config`` (a dataclass extending
:class:`TaskConfig`), ``build(config) -> Parts``, ``model_from_checkpoint(ckpt) -> Module`` and
``test(model, config, run_dir, extra) -> dict``; :func:`run_task` and :func:`evaluate_task`
do the rest (docs/adding_a_task.md). Tasks with text output also define ``sample`` or
``translate``.
"""
from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Callable

from .. import distributed, optim
from ..models.ensemble import Ensemble
from ..core.random import manual_seed
from .callbacks import TimeBudget
from .checkpoint import Checkpoint, CheckpointManager, load_checkpoint, restore_checkpoint
from .logging import MetricLogger, remove_partial_writes, save_config, to_jsonable
from .optional import available, require
from .trainer import EarlyStopping, Trainer

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULERS = ("none", "step", "cosine", "exponential", "plateau")


@dataclasses.dataclass
class TaskConfig:
    """Options shared by every task (each becomes a ``--flag`` of ``gradwise train TASK``)."""

    epochs: int | None = None            # passes over the data (default 1, or as --max-steps needs)
    max_steps: int | None = None         # stop after this many optimizer steps
    limit: int | None = None             # use at most N training examples (N/10 for val/test)
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"              # sgd momentum adam adamw rmsprop adagrad adadelta
    weight_decay: float = 0.0
    scheduler: str = "none"              # none | step | cosine | exponential | plateau
    clip: float | None = None            # max global gradient norm
    patience: int | None = None          # early stopping after N epochs without improvement
    seed: int = 0
    runs_dir: str = "runs"
    data_root: str | None = None         # dataset root (default: $GRADWISE_DATA, ../shared/data)
    keep_last: int = 2                   # checkpoints to keep besides the best
    checkpoint_every: int | None = None  # also checkpoint every N steps
    log_every: int = 10                  # log the training loss every N steps
    time_budget: float | None = None     # stop training after this many seconds

    def validate(self) -> None:
        """Raise ValueError naming the option for values out of range."""
        self.check_choice("optimizer", OPTIMIZERS)
        self.check_choice("scheduler", SCHEDULERS)
        self.check_at_least(1, "batch_size", "keep_last", "log_every", "epochs", "max_steps",
                            "limit", "checkpoint_every")
        self.check_positive("lr", "clip")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ValueError(f"--time-budget must be > 0 seconds, got {self.time_budget}")

    # the checks of validate(), for the tasks' own options too; None means "not set" and passes
    def check_choice(self, name: str, choices) -> None:
        """ValueError naming ``--name`` unless its value is one of ``choices``."""
        value = getattr(self, name)
        if value not in choices:
            raise ValueError(f"{flag(name)} {value!r} is unknown; choose from {', '.join(choices)}")

    def check_at_least(self, low, *names: str) -> None:
        """ValueError naming the first option of ``names`` whose value is below ``low``."""
        for name in names:
            value = getattr(self, name)
            if value is not None and value < low:
                raise ValueError(f"{flag(name)} must be >= {low}, got {value}")

    def check_positive(self, *names: str) -> None:
        """ValueError naming the first option of ``names`` whose value is not > 0."""
        for name in names:
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{flag(name)} must be > 0, got {value}")


def flag(name: str) -> str:
    """The command-line flag of a config field: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def make_optimizer(config: TaskConfig, params):
    params = list(params)
    wd = config.weight_decay
    if config.optimizer == "sgd":
        return optim.SGD(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "momentum":
        return optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=wd)
    if config.optimizer == "adam":
        return optim.Adam(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "adamw":
        return optim.AdamW(params, lr=config.lr, weight_decay=wd or 1e-2)
    if config.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "adagrad":
        return optim.Adagrad(params, lr=config.lr, weight_decay=wd)
    return optim.Adadelta(params, lr=config.lr, weight_decay=wd)


def make_scheduler(config: TaskConfig, optimizer, steps_per_epoch: int):
    """The LR schedule and whether it steps per "step" or per "epoch"."""
    s = optim.lr_scheduler
    total = config.max_steps or (config.epochs or 1) * max(steps_per_epoch, 1)
    if config.scheduler == "none":
        return None, "epoch"
    if config.scheduler == "step":       # halve the lr every third of the run (per epoch)
        return s.StepLR(optimizer, step_size=max((config.epochs or 1) // 3, 1), gamma=0.5), "epoch"
    if config.scheduler == "exponential":
        return s.ExponentialLR(optimizer, gamma=0.9), "epoch"
    if config.scheduler == "cosine":      # per step, down to 0 at the end of the budget
        return s.CosineAnnealingLR(optimizer, T_max=total), "step"
    return s.ReduceLROnPlateau(optimizer, factor=0.5, patience=1), "epoch"


@dataclasses.dataclass
class Parts:
    """What a task's ``build(config)`` hands to :func:`run_task`.

    ``extra`` (JSON-able) goes into every checkpoint and is passed to the task's ``test``;
    ``summary`` is the banner after the task name. A model fitted in closed form has no
    ``step_fn`` and a ``fit()`` instead. ``scheduler`` builds a task's own LR schedule.
    """

    model: Any
    model_name: str
    model_config: dict
    train_loader: Any = None
    step_fn: Callable | None = None
    val_loader: Any = None
    metrics: list = dataclasses.field(default_factory=list)
    report_perplexity: bool = False
    eval_fn: Callable | None = None
    monitor: str = "val_loss"
    mode: str = "min"
    extra: dict = dataclasses.field(default_factory=dict)
    callbacks: list = dataclasses.field(default_factory=list)
    summary: str = ""
    fit: Callable | None = None
    scheduler: Callable | None = None  # optimizer -> (scheduler, interval); replaces --scheduler


def train_task(task: str, config: TaskConfig, parts: Parts, run_dir, quiet: bool = False,
               resume: bool = False, callbacks=()) -> Trainer:
    """Train with logs in ``run_dir`` and checkpoints in ``run_dir/checkpoints``.

    With ``resume`` the latest checkpoint of ``run_dir`` is loaded first (exact resume); it is
    validated before anything in ``run_dir`` is written.
    """
    run_dir = pathlib.Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    optimizer = make_optimizer(config, parts.model.parameters())
    try:
        steps = len(parts.train_loader)
    except TypeError:
        steps = 1
    scheduler, interval = (parts.scheduler(optimizer) if parts.scheduler is not None
                           else make_scheduler(config, optimizer, steps))
    cbs = list(callbacks)
    if config.patience is not None:
        cbs.append(EarlyStopping(parts.monitor, parts.mode, patience=config.patience))
    if config.time_budget is not None:
        cbs.append(TimeBudget(config.time_budget))
    extra = {"task": task, "task_config": to_jsonable(config), **parts.extra}
    checkpoints = None
    main = distributed.is_main_process()  # under mpiexec rank 0 alone writes the run
    if available("safetensors") and main:
        checkpoints = CheckpointManager(run_dir / "checkpoints", keep_last=config.keep_last,
                                        monitor=parts.monitor, mode=parts.mode)
    elif resume:
        require("safetensors.numpy", "resuming from a checkpoint", "checkpoint")
    elif not quiet and main:
        print("checkpoints are off: they need safetensors (pip install 'gradwise[checkpoint]')")
    trainer = Trainer(
        parts.model, optimizer, parts.train_loader, step_fn=parts.step_fn,
        val_loader=parts.val_loader, epochs=train_epochs(config), max_steps=config.max_steps,
        grad_clip=config.clip, scheduler=scheduler, scheduler_interval=interval,
        metrics=parts.metrics, report_perplexity=parts.report_perplexity,
        eval_fn=parts.eval_fn, callbacks=cbs, monitor=parts.monitor, mode=parts.mode,
        logger=None, checkpoints=checkpoints, checkpoint_every=config.checkpoint_every,
        log_every=config.log_every, quiet=quiet,
        model_name=parts.model_name, model_config=parts.model_config, extra=extra)
    if resume:
        trainer.resume(run_dir)
    if not main:
        trainer.fit()
        return trainer
    if resume:
        remove_partial_writes(run_dir)
        checkpoints.write_index()
    save_config(run_dir, {"task": task, **to_jsonable(config)})
    trainer.logger = logger = MetricLogger(run_dir)
    if checkpoints is not None:
        checkpoints.logger = logger
    if resume:
        position = checkpoints.log_position(trainer.step)
        logger.truncate_to(position) if position else logger.truncate_after(trainer.step)
        if not quiet:
            print(f"resumed from step {trainer.step} (epoch {trainer.epoch}) of {run_dir}")
    try:
        trainer.fit()
    finally:
        logger.close()
    return trainer


def train_epochs(config: TaskConfig) -> int | None:
    """--epochs if given; else 1, or no epoch limit when --max-steps sets the budget."""
    if config.epochs is not None:
        return config.epochs
    return None if config.max_steps is not None else 1


def limit_count(n: int, limit: int | None, fraction: float = 1.0) -> int:
    """How many of ``n`` examples to use under ``--limit`` (val/test get ``fraction`` of it)."""
    if limit is None:
        return n
    return max(1, min(n, int(round(limit * fraction)) or 1))


def limit_splits(limit: int | None, train, *held_out) -> tuple:
    """``train`` cut to ``--limit`` items and every held-out split to a fifth of that."""
    return (train[:limit_count(len(train), limit)],
            *(split[:limit_count(len(split), limit, 0.2)] for split in held_out))


def report(results: dict, quiet: bool, title: str = "test") -> None:
    """One line of the scores; text results (samples) follow as ``name:`` blocks."""
    if quiet:
        return
    texts = {k: v for k, v in results.items() if isinstance(v, str)}
    shown = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                      for k, v in results.items() if k not in texts)
    if shown:
        print(f"{title}: {shown}")
    for k, v in texts.items():
        print(f"{k}:\n{v}")


def task_name(task) -> str:
    """``gradwise.train.tasks.mnist`` -> ``mnist``."""
    return task.__name__.rsplit(".", 1)[-1]


def run_task(task, config: TaskConfig, run_dir, quiet: bool = False,
             resume: bool = False) -> dict:
    """``gradwise train TASK``: the task's own ``run`` if it has one, else train_and_test."""
    if hasattr(task, "run"):
        return task.run(config, run_dir, quiet, resume)
    return train_and_test(task, config, run_dir, quiet, resume)[1]


def train_and_test(task, config: TaskConfig, run_dir, quiet: bool = False, resume: bool = False,
                   parts: Parts | None = None, name: str | None = None):
    """Seed, build, announce, train (or fit), test and report; returns (trainer, results).

    Args:
        parts: already built (the caller seeded the library RNG); default ``task.build(config)``
            after ``manual_seed(config.seed)``.
        name: the run's task name in config.json and checkpoints (default the module's).

    The trainer is None for a model fitted in closed form (``parts.fit``).
    """
    config.validate()
    name = name or task_name(task)
    if parts is None:
        manual_seed(config.seed)
        parts = task.build(config)
    if not quiet:
        n = sum(p.numel() for p in parts.model.parameters())
        shown = [parts.summary] if parts.summary else []
        print(f"{name}: " + ", ".join(shown + ([f"{n:,} parameters"] if n else [])))
    if parts.step_fn is None:
        return None, fit_and_test(name, task, config, parts, run_dir, quiet)
    trainer = train_task(name, config, parts, run_dir, quiet, resume, parts.callbacks)
    results = task.test(parts.model, config, run_dir, parts.extra)
    report(results, quiet)
    return trainer, results


def fit_and_test(name: str, task, config: TaskConfig, parts: Parts, run_dir, quiet: bool) -> dict:
    """A closed-form model: fit, test, log the test scores and save one checkpoint (step 0)."""
    run_dir = pathlib.Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(run_dir, {"task": name, **to_jsonable(config)})
    parts.fit()
    results = task.test(parts.model, config, run_dir, parts.extra)
    with MetricLogger(run_dir) as log:
        log.log(0, {k: v for k, v in results.items() if isinstance(v, float)}, split="test")
    if available("safetensors"):
        CheckpointManager(run_dir / "checkpoints", keep_last=1).save(
            parts.model, step=0, model_name=parts.model_name, model_config=parts.model_config,
            metrics=results,
            extra={"task": name, "task_config": to_jsonable(config), **parts.extra})
    elif not quiet:
        print("checkpoint not saved: it needs safetensors (pip install 'gradwise[checkpoint]')")
    report(results, quiet)
    return results


def evaluate_task(task, ckpt, quiet: bool = False) -> dict:
    """``gradwise eval``: the task's test scores of a checkpoint (or run directory).

    Load → rebuild the config → ``task.model_from_checkpoint`` → restore the weights (not the
    RNG) → ``task.test(model, config, None, ckpt.extra)``.
    """
    ckpt = load_checkpoint(ckpt)
    config = task.Config(**ckpt.extra["task_config"])
    results = task.test(load_model(ckpt, task.model_from_checkpoint), config, None, ckpt.extra)
    report(results, quiet)
    return results


def evaluate_ensemble(task, ckpts, quiet: bool = False) -> dict:
    """``gradwise eval CKPT CKPT ...``: the test scores of the members' averaged class
    probabilities (``models.Ensemble``), under the first checkpoint's task config.

    ``ckpts``: paths or already loaded Checkpoints. Members must come from the same task with
    the same vocabularies and other task data (``extra``); they may differ in seed and
    hyperparameters.
    """
    ckpts = [c if isinstance(c, Checkpoint) else load_checkpoint(c) for c in ckpts]
    first = ckpts[0]
    for ckpt in ckpts[1:]:
        keys = (set(first.extra) | set(ckpt.extra)) - {"task_config", "trainer"}  # run state
        differ = sorted(k for k in keys if first.extra.get(k) != ckpt.extra.get(k))
        if differ:
            raise ValueError(f"ensemble: {ckpt.path} differs from {first.path} in "
                             f"{', '.join(differ)}; members need the same task and data")
    config = task.Config(**first.extra["task_config"])
    model = Ensemble([load_model(c, task.model_from_checkpoint) for c in ckpts])
    results = task.test(model, config, None, first.extra)
    report(results, quiet)
    return results


def load_model(ckpt, model_from_checkpoint: Callable):
    """``model_from_checkpoint(ckpt)`` with the checkpoint's weights (not its RNG), in eval
    mode: the model a task's ``sample`` or ``translate`` runs."""
    if not isinstance(ckpt, Checkpoint):
        ckpt = load_checkpoint(ckpt)
    model = model_from_checkpoint(ckpt)
    restore_checkpoint(ckpt, model, restore_rng=False)
    return model.eval()
