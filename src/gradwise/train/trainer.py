"""The training loop: epochs or steps, train/eval modes, clipping, schedulers, callbacks, resume.

One training step is

    model.train(); optimizer.zero_grad()
    out = step_fn(model, batch, True)           # forward: StepOutput(loss, n, outputs, targets)
    out.loss.backward()                         # BPTT / backprop through the whole graph
    clip_grad_norm_(params, max_norm)           # optional: global-norm clipping
    optimizer.step(); scheduler.step()          # the scheduler here when interval == "step"

and an epoch ends with an evaluation on the validation loader (``model.eval()``, no grad), the
per-epoch scheduler step (``ReduceLROnPlateau`` receives the monitored metric), callbacks
(early stopping among them), logging and a checkpoint.

Resuming is exact: a checkpoint saves model, optimizer, scheduler, library RNG, data-loader
position (mid-epoch too), the trainer's counters and running sums, callback state and the
state of a stateful step function (e.g. a hidden state carried across BPTT windows), so a run
interrupted at step k and resumed ends with parameters bitwise equal to an uninterrupted one.

Under ``mpiexec -n W`` (or ``distributed=True``) the Trainer is data parallel: every rank takes
its share of each global batch, gradients are averaged in DistributedDataParallel buckets, the
evaluation is sharded and reduced, so the losses and metrics equal the single-process ones;
rank 0 alone prints, logs and checkpoints (see ``data_parallel.py``). A checkpoint holds no
rank-specific state, so it resumes at any world size.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from typing import Any, Callable, Sequence

from ..core import no_grad
from ..nn.utils import clip_grad_norm_
from ..optim.lr_scheduler import ReduceLROnPlateau
from .checkpoint import CheckpointError, load_checkpoint, restore_checkpoint
from .data_parallel import DataParallel, wants_data_parallel
from .metrics import Metric, perplexity
from .progress import make_progress


@dataclasses.dataclass
class StepOutput:
    """What a step function returns for one batch.

    Attributes:
        loss: scalar Tensor, the mean loss over the ``n`` counted items (backpropagated in
            training).
        n: how many items (examples or tokens) the mean runs over; weights the epoch mean.
        outputs, targets: passed to every Metric's ``update`` (None: no metric update).
    """

    loss: Any
    n: int
    outputs: Any = None
    targets: Any = None


def supervised_step(loss_fn: Callable) -> Callable:
    """The default step: ``batch = (x, y)``, ``loss = loss_fn(model(x), y)``."""

    def step(model, batch, training):
        x, y = batch
        out = model(x)
        return StepOutput(loss_fn(out, y), len(y), out, y)

    return step


class Callback:
    """Hooks called by :class:`Trainer`; override the ones you need.

    A callback that keeps state across epochs (counters, best values) should implement
    ``state_dict()``/``load_state_dict()`` so that it survives a resume.
    """

    def on_fit_start(self, trainer): ...

    def on_epoch_start(self, trainer): ...

    def on_step_end(self, trainer, logs: dict): ...

    def on_evaluate(self, trainer, metrics: dict): ...

    def on_epoch_end(self, trainer, logs: dict): ...

    def on_fit_end(self, trainer): ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when the monitored validation metric has not improved for ``patience`` evaluations.

    Args:
        monitor: key of the evaluation metrics, e.g. "val_loss" or "val_acc".
        mode: "min" or "max".
        patience: evaluations without improvement before stopping.
        min_delta: an improvement must exceed this amount.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 3,
                 min_delta: float = 0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        self.best: float | None = None
        self.bad_evaluations = 0

    def on_evaluate(self, trainer, metrics):
        if self.monitor not in metrics:
            raise KeyError(f"EarlyStopping: metric {self.monitor!r} not among the evaluation "
                           f"metrics {sorted(metrics)}")
        value = metrics[self.monitor]
        sign = 1.0 if self.mode == "min" else -1.0
        if self.best is None or sign * (self.best - value) > self.min_delta:
            self.best, self.bad_evaluations = value, 0
            return
        self.bad_evaluations += 1
        if self.bad_evaluations > self.patience:
            trainer.should_stop = True
            trainer.progress_write(f"early stopping: {self.monitor} has not improved for "
                                   f"{self.bad_evaluations} evaluations (best {self.best:.4f})")

    def state_dict(self):
        return {"best": self.best, "bad_evaluations": self.bad_evaluations}

    def load_state_dict(self, state):
        self.best, self.bad_evaluations = state["best"], state["bad_evaluations"]


class Trainer:
    """Fit a model with an optimizer on a loader, for a number of epochs or of steps.

    Args:
        model: the Module to train.
        optimizer: a gradwise Optimizer over ``model.parameters()``.
        train_loader: an iterable of batches (a DataLoader; ``state_dict()`` makes resume exact).
        step_fn: ``step_fn(model, batch, training) -> StepOutput``; or give ``loss_fn`` for the
            plain ``(x, y)`` case. A stateful step function may define ``reset(training)``
            (called at the start of each pass), ``state_dict()``/``load_state_dict()`` (arrays,
            saved in checkpoints).
        loss_fn: used by the default step function, ``loss_fn(model(x), y)``.
        val_loader: evaluated at the end of every epoch (and every ``eval_every`` steps).
        epochs: number of epochs; None with ``max_steps`` set runs until the step budget.
        max_steps: stop after this many optimizer steps (across epochs).
        grad_clip: max global L2 norm of the gradients (None: no clipping).
        scheduler: an LR scheduler; ``scheduler_interval`` "epoch" or "step" says when it steps.
            ``ReduceLROnPlateau`` steps per epoch with the ``monitor`` metric.
        metrics: Metric accumulators updated with each step's ``outputs, targets``.
        report_perplexity: add ``ppl = exp(loss)`` (the loss being a per-token mean NLL).
        eval_fn: ``eval_fn(model) -> dict`` of extra validation metrics (e.g. BLEU), merged
            into the evaluation results with a ``val_`` prefix.
        callbacks: Callback objects (e.g. :class:`EarlyStopping`).
        monitor, mode: metric deciding the best checkpoint and ReduceLROnPlateau.
        logger: a MetricLogger (CSV/JSONL/TensorBoard) or None.
        checkpoints: a CheckpointManager or None.
        checkpoint_every: also save every this many steps (None: at epoch ends only).
        eval_every: also evaluate every this many steps.
        log_every: log the training loss every this many steps.
        quiet: no progress display.
        model_name, model_config, extra: stored in checkpoints (how to rebuild the model).
        distributed: data parallel over the MPI ranks; None (default): when ``mpiexec``
            started more than one rank. BatchNorm layers become SyncBatchNorm.
    """

    def __init__(self, model, optimizer, train_loader, *, step_fn: Callable | None = None,
                 loss_fn: Callable | None = None, val_loader=None, epochs: int | None = None,
                 max_steps: int | None = None, grad_clip: float | None = None, scheduler=None,
                 scheduler_interval: str = "epoch", metrics: Sequence[Metric] = (),
                 report_perplexity: bool = False, eval_fn: Callable | None = None,
                 callbacks: Sequence[Callback] = (), monitor: str = "val_loss",
                 mode: str = "min", logger=None, checkpoints=None,
                 checkpoint_every: int | None = None, eval_every: int | None = None,
                 log_every: int = 10, quiet: bool = False, progress_stream=None,
                 model_name: str = "", model_config=None, extra: dict | None = None,
                 distributed: bool | None = None):
        if step_fn is None:
            if loss_fn is None:
                raise ValueError("Trainer: give a step_fn or a loss_fn")
            step_fn = supervised_step(loss_fn)
        if epochs is None and max_steps is None:
            raise ValueError("Trainer: give epochs, max_steps or both")
        for name, v in (("epochs", epochs), ("max_steps", max_steps),
                        ("checkpoint_every", checkpoint_every), ("eval_every", eval_every)):
            if v is not None and v < 1:
                raise ValueError(f"Trainer: {name} must be >= 1, got {v}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', "
                             f"got {scheduler_interval!r}")
        if grad_clip is not None and not grad_clip > 0:
            raise ValueError(f"Trainer: grad_clip must be > 0, got {grad_clip}")
        self.model, self.optimizer, self.train_loader = model, optimizer, train_loader
        self.step_fn, self.val_loader = step_fn, val_loader
        self.epochs, self.max_steps, self.grad_clip = epochs, max_steps, grad_clip
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.metrics = list(metrics)
        self.report_perplexity, self.eval_fn = report_perplexity, eval_fn
        self.callbacks = list(callbacks)
        self.monitor, self.mode = monitor, mode
        self.logger, self.checkpoints = logger, checkpoints
        self.checkpoint_every, self.eval_every = checkpoint_every, eval_every
        self.log_every = log_every
        self.quiet, self.progress_stream = quiet, progress_stream
        self.model_name, self.model_config, self.extra = model_name, model_config, dict(extra or {})
        self._dp = None
        if wants_data_parallel(distributed):
            if hasattr(step_fn, "state_dict"):
                raise ValueError("Trainer: the step function carries state from batch to batch "
                                 "(e.g. a hidden state across BPTT windows), which cannot be "
                                 "sharded across ranks; train this task in one process")
            self._dp = DataParallel(model)
            self.model = self._dp.model
            if self._dp.rank != 0:  # rank 0 alone prints, logs and writes checkpoints
                self.quiet, self.logger, self.checkpoints = True, None, None
        # progress counters: completed epochs, optimizer steps, batches done in this epoch
        self.epoch = 0
        self.step = 0
        self.batch_in_epoch = 0
        self.should_stop = False
        self._running = {"loss_sum": 0.0, "n": 0, "interval_sum": 0.0, "interval_n": 0}
        self.history: list[dict] = []      # one dict of metrics per evaluation
        self._progress = None

    # -- state (for checkpoints) ----------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "epoch": self.epoch, "step": self.step, "batch_in_epoch": self.batch_in_epoch,
            "should_stop": self.should_stop, "running": dict(self._running),
            "metrics": [m.state_dict() for m in self.metrics],
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "history": self.history,
        }

    def load_state_dict(self, state: dict) -> None:
        if len(state["callbacks"]) != len(self.callbacks):
            raise CheckpointError(f"checkpoint has state for {len(state['callbacks'])} "
                                  f"callbacks, the trainer has {len(self.callbacks)}")
        self.epoch, self.step = state["epoch"], state["step"]
        self.batch_in_epoch, self.should_stop = state["batch_in_epoch"], state["should_stop"]
        self._running = dict(state["running"])
        for m, s in zip(self.metrics, state["metrics"]):
            m.load_state_dict(s)
        for cb, s in zip(self.callbacks, state["callbacks"]):
            cb.load_state_dict(s)
        self.history = list(state["history"])

    def save_checkpoint(self, metrics: dict | None = None):
        """Save a checkpoint through the CheckpointManager (no-op without one)."""
        if self.checkpoints is None:
            return None
        extra = dict(self.extra)
        extra["trainer"] = self.state_dict()
        step_state = self.step_fn.state_dict() if hasattr(self.step_fn, "state_dict") else {}
        loader = self.train_loader if hasattr(self.train_loader, "state_dict") else None
        extra["trainer"]["has_loader_state"] = loader is not None
        return self.checkpoints.save(
            self.model, self.optimizer, self.scheduler, step=self.step, loader=loader,
            epoch=self.epoch, metrics=metrics, model_name=self.model_name,
            model_config=self.model_config, extra=extra,
            extra_tensors={f"step_fn.{k}": v for k, v in step_state.items()})

    def resume(self, path) -> None:
        """Continue from a checkpoint (a file, a checkpoints directory or a run directory).

        Raises:
            CheckpointError: the checkpoint is corrupted or does not fit; nothing changed then.
        """
        ckpt = load_checkpoint(path)
        extra = ckpt.extra
        if "trainer" not in extra:
            raise CheckpointError(f"checkpoint {ckpt.path} holds no trainer state, so it cannot "
                                  f"resume training", "start a new run")
        state = extra["trainer"]
        if len(state.get("callbacks", [])) != len(self.callbacks):
            raise CheckpointError(f"checkpoint {ckpt.path} has state for "
                                  f"{len(state.get('callbacks', []))} callbacks, the trainer has "
                                  f"{len(self.callbacks)}", "resume with the same options")
        step_state = {k[len("step_fn."):]: v for k, v in ckpt.extra_tensors.items()
                      if k.startswith("step_fn.")}
        if step_state and not hasattr(self.step_fn, "load_state_dict"):
            raise CheckpointError(f"checkpoint {ckpt.path} holds step-function state but the "
                                  f"step function cannot load it")
        loader = self.train_loader if state.get("has_loader_state") else None
        restore_checkpoint(ckpt, self.model, self.optimizer, self.scheduler, loader,
                           model_name=self.model_name or None)
        self.load_state_dict(state)
        if step_state:
            self.step_fn.load_state_dict(step_state)

    # -- the loop -------------------------------------------------------------------------------
    def progress_write(self, line: str) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.write(line)
        else:
            print(line, file=self.progress_stream, flush=True)

    def _done(self) -> bool:
        if self.should_stop:
            return True
        if self.max_steps is not None and self.step >= self.max_steps:
            return True
        return self.epochs is not None and self.epoch >= self.epochs

    def _batches_this_epoch(self):
        try:
            n = len(self.train_loader)
        except TypeError:
            return None
        n -= self.batch_in_epoch
        if self.max_steps is not None:
            n = min(n, self.max_steps - self.step)
        return n

    def fit(self) -> list[dict]:
        """Train until the epoch/step budget is spent or a callback stops; return the history."""
        for cb in self.callbacks:
            cb.on_fit_start(self)
        while not self._done():
            self._train_epoch()
        if self.checkpoints is not None and not self.checkpoints.has_step(self.step):
            self._checkpoint_with(self.history[-1] if self.history else {})  # stopped mid-epoch
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _call_reset(self, training: bool) -> None:
        if hasattr(self.step_fn, "reset"):
            self.step_fn.reset(training)

    def _train_epoch(self) -> None:
        fresh_epoch = self.batch_in_epoch == 0
        if fresh_epoch:
            self._running.update(loss_sum=0.0, n=0)
            for m in self.metrics:
                m.reset()
            self._call_reset(True)
            for cb in self.callbacks:
                cb.on_epoch_start(self)
        total_epochs = f"/{self.epochs}" if self.epochs else ""
        self._progress = make_progress(self._batches_this_epoch(),
                                       f"epoch {self.epoch + 1}{total_epochs}", self.quiet,
                                       self.progress_stream)
        completed = True
        with self._progress:
            self.model.train()
            for batch in self.train_loader:
                self._train_step(batch)
                if self.should_stop or (self.max_steps is not None and self.step >= self.max_steps):
                    completed = self._loader_exhausted()
                    break
        self._progress = None
        if completed:
            self._end_epoch()

    def _loader_exhausted(self) -> bool:
        try:
            return self.batch_in_epoch >= len(self.train_loader)
        except TypeError:
            return False

    @property
    def is_main_process(self) -> bool:
        """Whether this process prints, logs and checkpoints (rank 0, or no ranks at all)."""
        return self._dp is None or self._dp.rank == 0

    def _train_step(self, batch) -> None:
        t0 = time.perf_counter()
        self.optimizer.zero_grad()
        if self._dp is None:
            out = self.step_fn(self.model, batch, True)
            loss, n = out.loss, out.n
            loss_value = float(loss.item())
        else:
            local, rows, size = self._dp.shard(batch)
            if rows == 0:
                raise ValueError(f"Trainer: a training batch of {size} examples cannot give "
                                 f"each of {self._dp.world} ranks a row; use a batch size of "
                                 f"at least {self._dp.world}")
            out = self.step_fn(self.model, local, True)
            n_total, loss_sum = self._dp.sum(out.n, float(out.loss.item()) * out.n)
            loss_value, n = float(loss_sum / n_total), int(n_total)
            # rank r backpropagates L_r·W·n_r/N: after DDP's ÷W, the gradient of Σ n_r L_r / N
            loss = out.loss * float(self._dp.world * out.n / n_total)  # a weak scalar: keeps the dtype
            self._dp.ddp.prepare_for_backward(loss)
        if not math.isfinite(loss_value):
            raise FloatingPointError(
                f"Trainer: the loss became {loss_value} at step {self.step + 1}; lower the "
                f"learning rate or clip gradients (--clip)")
        loss.backward()
        logs = {"loss": loss_value}
        if self.grad_clip is not None:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            logs["grad_norm"] = float(clip_grad_norm_(params, self.grad_clip).item())
        self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()
        if out.outputs is not None:
            with no_grad():
                for m in self.metrics:  # under mpiexec every rank holds the global counts
                    if self._dp is None:
                        m.update(out.outputs, out.targets)
                    else:
                        self._dp.update_metric(m, out.outputs, out.targets)
        self.step += 1
        self.batch_in_epoch += 1
        r = self._running
        r["loss_sum"] += loss_value * n
        r["n"] += n
        r["interval_sum"] += loss_value * n
        r["interval_n"] += n
        shown = {"loss": r["loss_sum"] / max(r["n"], 1)}
        for m in self.metrics:
            shown[m.name] = m.compute()
        self._progress.update(1, **shown)
        logs["step_time"] = time.perf_counter() - t0
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        if self.logger is not None and self.step % self.log_every == 0:
            self.logger.log(self.step, {"loss": r["interval_sum"] / max(r["interval_n"], 1),
                                        "lr": logs["lr"],
                                        **({"grad_norm": logs["grad_norm"]}
                                           if "grad_norm" in logs else {})},
                            split="train", epoch=self.epoch)
            r["interval_sum"], r["interval_n"] = 0.0, 0
        for cb in self.callbacks:
            cb.on_step_end(self, logs)
        if self._dp is not None:  # a rank that stops (a time budget) stops them all
            self.should_stop = self._dp.any(self.should_stop)
        if self.eval_every is not None and self.step % self.eval_every == 0:
            self.model.eval()
            metrics = self.evaluate_validation()
            self.model.train()
            if self.checkpoint_every is None or self.step % self.checkpoint_every != 0:
                self._checkpoint_with(metrics)
        if self.checkpoint_every is not None and self.step % self.checkpoint_every == 0:
            self._checkpoint_with(self.history[-1] if self.history else {})

    def _checkpoint_with(self, metrics: dict) -> None:
        numeric = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        self.save_checkpoint(numeric)

    def _end_epoch(self) -> None:
        self.epoch += 1
        self.batch_in_epoch = 0
        r = self._running
        train_metrics = {"train_loss": r["loss_sum"] / max(r["n"], 1)}
        for m in self.metrics:
            train_metrics[f"train_{m.name}"] = m.compute()
        if self.report_perplexity:
            train_metrics["train_ppl"] = perplexity(train_metrics["train_loss"])
        if self.logger is not None:
            self.logger.log(self.step, {k[len("train_"):]: v for k, v in train_metrics.items()},
                            split="train_epoch", epoch=self.epoch)
        metrics = self.evaluate_validation(train_metrics)
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if isinstance(self.scheduler, ReduceLROnPlateau):
                if self.monitor not in metrics:
                    raise KeyError(f"ReduceLROnPlateau needs metric {self.monitor!r}, got "
                                   f"{sorted(metrics)}")
                self.scheduler.step(metrics[self.monitor])
            else:
                self.scheduler.step()
        summary = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                            if isinstance(v, float) and k != "epoch")
        self.progress_write(f"epoch {self.epoch}: {summary}")
        for cb in self.callbacks:
            cb.on_epoch_end(self, metrics)
        self._checkpoint_with(metrics)

    def evaluate_validation(self, train_metrics: dict | None = None) -> dict:
        """Evaluate on the validation loader, log, record in history and call callbacks."""
        metrics = {"epoch": self.epoch, "step": self.step, **(train_metrics or {})}
        if self.val_loader is not None or self.eval_fn is not None:
            if self.val_loader is not None:
                val = self.evaluate(self.val_loader)
                metrics.update({f"val_{k}": v for k, v in val.items()})
            if self.eval_fn is not None:
                self.model.eval()
                with no_grad():
                    extra = self.eval_fn(self.model)
                metrics.update({f"val_{k}": v for k, v in extra.items()})
            if self.logger is not None:
                self.logger.log(self.step, {k[4:]: v for k, v in metrics.items()
                                            if k.startswith("val_")},
                                split="val", epoch=self.epoch)
            for cb in self.callbacks:
                cb.on_evaluate(self, metrics)
        self.history.append(metrics)
        return metrics

    def evaluate(self, loader, metrics: Sequence[Metric] | None = None) -> dict:
        """Mean loss (and metrics) over ``loader`` in eval mode without gradients.

        The model's train/eval mode and the step function's carried state are restored after.
        """
        metrics = self.metrics if metrics is None else list(metrics)
        saved = [copy.deepcopy(m.state_dict()) for m in metrics]
        was_training = self.model.training
        step_state = self.step_fn.state_dict() if hasattr(self.step_fn, "state_dict") else None
        self._call_reset(False)
        result = evaluate_model(self.model, loader, self.step_fn, metrics, self.report_perplexity,
                                data_parallel=self._dp)
        for m, s in zip(metrics, saved):
            m.load_state_dict(s)
        if step_state is not None:
            self.step_fn.load_state_dict(step_state)
        self.model.train(was_training)
        return result


def evaluate_model(model, loader, step_fn, metrics: Sequence[Metric] = (),
                   report_perplexity: bool = False, data_parallel: DataParallel | None = None
                   ) -> dict:
    """Mean loss and metrics of ``model`` over ``loader`` in eval mode, without gradients.

    Args:
        step_fn: ``step_fn(model, batch, False) -> StepOutput`` (see :class:`Trainer`).
        metrics: reset, updated with every batch and computed.
        report_perplexity: add ``ppl = exp(loss)``.
        data_parallel: shard every batch across the ranks and sum loss·n, n and the metric
            counters over them (the Trainer's, under mpiexec); the result is every rank's.

    Leaves the model in eval mode.
    """
    for m in metrics:
        m.reset()
    model.eval()
    loss_sum, n = 0.0, 0
    with no_grad():
        for batch in loader:
            if data_parallel is not None:
                batch, rows, _ = data_parallel.shard(batch)
                if rows == 0:  # a last batch smaller than the world: nothing for this rank
                    continue
            out = step_fn(model, batch, False)
            loss_sum += float(out.loss.item()) * out.n
            n += out.n
            if out.outputs is not None:
                for m in metrics:
                    m.update(out.outputs, out.targets)
    if data_parallel is not None:
        loss_sum, n = data_parallel.sum(loss_sum, n)
        metrics = [data_parallel.reduced(m) for m in metrics]
    result = {"loss": loss_sum / max(n, 1)}
    for m in metrics:
        result[m.name] = m.compute()
    if report_perplexity:
        result["ppl"] = perplexity(result["loss"])
    return result
