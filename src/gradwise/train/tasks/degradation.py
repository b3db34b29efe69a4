"""degradation: plain vs residual CIFAR-style nets of 20 and 56 layers (He et al. 2016).

Seed 000: "In CIFAR-10, 56-layer is worse than 20-layer network": without shortcuts the deeper
net has *higher training error* (Figure 1, Figure 6 left); with identity shortcuts the deeper net
trains better (Figure 6 right). CIFAR-10 is not available offline, so the images are
Fashion-MNIST (or MNIST) zero-padded from 28×28 to 32×32. The recipe is the paper's section 4.2
scaled to the step budget: SGD with momentum 0.9, weight decay 1e-4, batch 128, lr 0.1 divided by
10 at 50% and 75% of ``--max-steps`` (the paper: at 32k and 48k of 64k), 4-pixel translations
and horizontal flips. Every ``--log-every`` steps the mean minibatch training error of the
interval is logged (split "train", metric "error"), the curve of the paper's figures.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import models, optim
from ...core import no_grad
from ...core.random import default_generator
from ...core.tensor import Tensor
from ...data import DataLoader, TensorDataset
from ...data.datasets import load_fashion_mnist, load_mnist
from ...functional.loss import cross_entropy
from ..augment import random_shift
from ..metrics import Accuracy
from ..trainer import Callback, StepOutput
from .common import Parts, TaskConfig, limit_count

DESCRIPTION = "plain vs residual 20/56-layer nets on Fashion-MNIST (He et al. 2016, Figure 1)"
ENSEMBLE = True  # the model outputs class logits: `gradwise eval` accepts several runs
MEAN_STD = {"fashion": (0.2860, 0.3530), "mnist": (0.1307, 0.3081)}


@dataclasses.dataclass
class Config(TaskConfig):
    depth: int = 20                  # 6n + 2: 20, 32, 44, 56, 110
    plain: bool = False              # no shortcuts (the plain net of Figure 6 left)
    dataset: str = "fashion"         # fashion | mnist
    batch_size: int = 128
    lr: float = 0.1
    optimizer: str = "momentum"
    weight_decay: float = 1e-4
    val_size: int = 5000
    max_steps: int | None = 2000     # lr ÷10 at 50% and 75% of it
    log_every: int = 20

    def validate(self):
        super().validate()
        if self.dataset not in MEAN_STD:
            raise ValueError(f"--dataset {self.dataset!r} is unknown; choose fashion or mnist")
        if self.depth < 8 or (self.depth - 2) % 6:
            raise ValueError(f"--depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got {self.depth}")
        if self.max_steps is None:
            raise ValueError("--max-steps is required: the lr drops at 50% and 75% of it")


def _images(x: np.ndarray, dataset: str) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 1, 32, 32) float32, normalised, padded with the background."""
    mean, std = MEAN_STD[dataset]
    x = (x.astype(np.float32)[:, None] / 255.0 - mean) / std
    return np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-mean / std)


def _load(config: Config):
    load = load_fashion_mnist if config.dataset == "fashion" else load_mnist
    xtr, ytr = load("train", root=config.data_root)
    xte, yte = load("test", root=config.data_root)
    n_val = limit_count(config.val_size, config.limit, 0.2)
    n_train = limit_count(len(ytr) - config.val_size, config.limit)
    n_test = limit_count(len(yte), config.limit, 0.2)
    return ((_images(xtr[:n_train], config.dataset), ytr[:n_train]),
            (_images(xtr[-n_val:], config.dataset), ytr[-n_val:]),
            (_images(xte[:n_test], config.dataset), yte[:n_test]))


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The paper's augmentation: translate by up to 4 pixels, flip half the images left-right.

    Returns a new array; ``x`` is not modified (the shift writes a fresh one, the flip edits it).
    """
    x = random_shift(x, 4, rng)
    flip = rng.random(len(x)) < 0.5
    x[flip] = x[flip, :, :, ::-1]
    return x


def _step(model, batch, training):
    x, y = batch
    logits = model(x)
    return StepOutput(cross_entropy(logits, y), len(y), logits, y)


class TrainingErrorCurve(Callback):
    """The training step with augmentation; logs the interval's mean minibatch error.

    Called as the step function; as a callback it logs ``error`` (split "train") every
    ``every`` steps: the fraction of training images misclassified in those steps' batches.
    """

    def __init__(self, every: int):
        self.every = every
        self.wrong = self.seen = 0

    def __call__(self, model, batch, training):
        if training:
            x, y = batch
            batch = (Tensor(augment(x.array, default_generator())), y)
        out = _step(model, batch, training)
        if training:
            self.wrong += int((out.outputs.array.argmax(1) != out.targets.array).sum())
            self.seen += out.n
        return out

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0 and self.seen:
            if trainer.logger is not None:
                trainer.logger.log(trainer.step, {"error": self.wrong / self.seen}, split="train",
                                   epoch=trainer.epoch)
            self.wrong = self.seen = 0


def paper_schedule(optimizer, max_steps: int):
    """lr ÷ 10 at 50% and 75% of the steps (He et al.: 32k and 48k of 64k), stepped per step."""
    return optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[max_steps // 2, (3 * max_steps) // 4], gamma=0.1)


def _model_config(config: Config) -> dict:
    return {"depth": config.depth, "shortcut": "none" if config.plain else "A",
            "in_channels": 1, "num_classes": 10}


def build(config: Config) -> Parts:
    train, val, test_split = _load(config)
    model_config = _model_config(config)
    model = models.CifarResNet(**model_config)
    curve = TrainingErrorCurve(config.log_every)
    name = f"{'plain' if config.plain else 'resnet'}{config.depth}"
    return Parts(model, name, model_config,
                 DataLoader(TensorDataset(*train), batch_size=config.batch_size, shuffle=True),
                 curve, DataLoader(TensorDataset(*val), batch_size=500),
                 metrics=[Accuracy()], monitor="val_acc", mode="max", callbacks=[curve],
                 scheduler=lambda opt: (paper_schedule(opt, config.max_steps), "step"),
                 summary=f"{name} on {config.dataset} (32×32): {len(train[1])} train / "
                         f"{len(val[1])} val / {len(test_split[1])} test images, "
                         f"{config.max_steps} steps of {config.batch_size}")


def model_from_checkpoint(ckpt):
    return models.CifarResNet(**ckpt.model_config)


def test(model, config: Config, run_dir, extra) -> dict:
    """Test error; also the (unaugmented) training error of the first 10,000 training images."""
    train, _, (x, y) = _load(config)
    model.eval()
    with no_grad():
        def error(images, labels):
            pred = np.concatenate([model(Tensor(images[i:i + 500])).array.argmax(1)
                                   for i in range(0, len(labels), 500)])
            return float((pred != labels).mean())
        n = min(len(train[1]), 10_000)
        return {"test_error": error(x, y), "train_error": error(train[0][:n], train[1][:n])}
