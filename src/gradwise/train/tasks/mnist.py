"""mnist: digit classification with LeNet-5 (LeCun et al. 1998) or another zoo CNN.

MNIST is read from the original idx.gz files (60000 train / 10000 test); the last 5000
training images validate. LeNet-5 reaches 0.95% test error without distortions in the paper
(REFERENCES.md). Other zoo models (``--model resnet20`` …) get one input channel where their
config has ``in_channels`` and the grey channel repeated three times otherwise. ``--dataset
fashion`` uses Fashion-MNIST. ``--activation``/``--subsampling`` pick LeNet-5's variant (the
paper's tanh/average pooling by default; relu/max is the modern one) and ``--shift N`` augments
training images by random translations of up to N pixels (LeCun 1998's 0.95% is without
distortions). The run saves the test confusion matrix and the first conv
layer's feature maps of one test digit (``gradwise plot RUN`` draws them with the filters).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect

import numpy as np

from ... import models
from ...core import no_grad
from ...core.tensor import Tensor
from ...data import DataLoader, TensorDataset
from ...data.datasets import FASHION_CLASSES, load_fashion_mnist, load_mnist
from ...functional.loss import cross_entropy
from .. import augment
from ..augment import random_shift  # noqa: F401 (benchmarks import it from here)
from ..logging import save_artifact
from ..metrics import Accuracy, MacroF1, confusion_matrix
from ..trainer import StepOutput
from .common import Parts, TaskConfig, limit_count

DESCRIPTION = "MNIST / Fashion-MNIST digits with LeNet-5 or another zoo CNN"
ENSEMBLE = True  # the model outputs class logits: `gradwise eval` accepts several runs


@dataclasses.dataclass
class Config(TaskConfig):
    model: str = "lenet5"            # any name of gradwise.models.list_models()
    dataset: str = "mnist"           # mnist | fashion
    batch_size: int = 64
    lr: float = 1e-3
    val_size: int = 5000
    activation: str = "tanh"         # lenet5 only: tanh | scaled_tanh | relu
    subsampling: str = "avg"         # lenet5 only: avg | max | trainable
    shift: int = 0                   # augment: random translation of up to N pixels (train only)

    def validate(self):
        super().validate()
        if not 0 <= self.shift <= 8:
            raise ValueError(f"--shift must be in [0, 8] pixels, got {self.shift}")


def model_kwargs(name: str) -> tuple[dict, bool]:
    """(keyword arguments for ``models.create``, whether to repeat the channel to RGB)."""
    builder = models.get_model_builder(name)
    module = inspect.getmodule(builder)
    fields = set()
    for obj in vars(module).values():
        if dataclasses.is_dataclass(obj) and isinstance(obj, type):
            fields |= {f.name for f in dataclasses.fields(obj)}
    kwargs = {"num_classes": 10}
    if name == "lenet5":
        kwargs["input_size"] = 28
    if "in_channels" in fields:
        kwargs["in_channels"] = 1
    return kwargs, "in_channels" not in fields


def _images(x: np.ndarray, rgb: bool) -> np.ndarray:
    x = x.astype(np.float32)[:, None] / 255.0               # (N, 1, 28, 28)
    x = (x - 0.1307) / 0.3081                               # MNIST mean/std normalisation
    return np.repeat(x, 3, axis=1) if rgb else x            # (N, 3, 28, 28) for RGB models


def _loader_fn(config: Config):
    if config.dataset not in ("mnist", "fashion"):
        raise ValueError(f"--dataset {config.dataset!r} is unknown; choose mnist or fashion")
    return load_mnist if config.dataset == "mnist" else load_fashion_mnist


def _load(config: Config, rgb: bool):
    """(train, val, test) image/label pairs; the last ``val_size`` training images validate."""
    xtr, ytr = _loader_fn(config)("train", root=config.data_root)
    n_val = limit_count(config.val_size, config.limit, 0.2)
    n_train = limit_count(len(ytr) - config.val_size, config.limit)
    train = (_images(xtr[:n_train], rgb), ytr[:n_train])
    val = (_images(xtr[-n_val:], rgb), ytr[-n_val:])
    return train, val, _load_test(config, rgb)


def _load_test(config: Config, rgb: bool):
    xte, yte = _loader_fn(config)("test", root=config.data_root)
    n_test = limit_count(len(yte), config.limit, 0.2)
    return _images(xte[:n_test], rgb), yte[:n_test]


def _step(model, batch, training):
    x, y = batch
    logits = model(x)
    if isinstance(logits, tuple):        # GoogLeNet/Inception return auxiliary outputs
        logits = logits[0]
    return StepOutput(cross_entropy(logits, y), len(y), logits, y)


ShiftStep = functools.partial(augment.ShiftStep, step_fn=_step)  # ShiftStep(max_shift)


def _labels(config: Config):
    return list(FASHION_CLASSES) if config.dataset == "fashion" else [str(d) for d in range(10)]


def test(model, config: Config, run_dir, extra) -> dict:
    """Test accuracy and error; after training also the confusion matrix and feature maps."""
    x, y = _load_test(config, extra["rgb"])
    preds = []
    model.eval()
    with no_grad():
        for i in range(0, len(y), 500):
            out = _step(model, (Tensor(x[i:i + 500]), Tensor(y[i:i + 500])), False).outputs
            preds.append(out.array.argmax(1))
    pred = np.concatenate(preds)
    if run_dir is not None:
        save_artifact(run_dir, "confusion", {"matrix": confusion_matrix(pred, y, 10),
                                             "labels": _labels(config)})
        _feature_maps(model, x, run_dir)
    return {"test_acc": float((pred == y).mean()), "test_error": float((pred != y).mean())}


def _feature_maps(model, x, run_dir):
    """Activations of the first conv layer for one image, saved for ``gradwise plot``."""
    first = next(((name, m) for name, m in model.named_modules()
                  if type(m).__name__ == "Conv2d"), None)
    if first is None:
        return
    name, conv = first
    captured = {}
    handle = conv.register_forward_hook(lambda mod, inp, out: captured.setdefault("maps", out))
    with no_grad():
        _step(model, (Tensor(x[:1]), Tensor(np.zeros(1, np.int64))), False)
    handle.remove()
    save_artifact(run_dir, "feature_maps", {"maps": captured["maps"].array[0], "layer": name})


def build(config: Config) -> Parts:
    kwargs, rgb = model_kwargs(config.model)
    if config.model == "lenet5":
        kwargs.update(activation=config.activation, subsampling=config.subsampling)
    train, val, test_split = _load(config, rgb)
    model = models.create(config.model, **kwargs)
    return Parts(model, config.model, kwargs,
                 DataLoader(TensorDataset(*train), batch_size=config.batch_size, shuffle=True),
                 ShiftStep(config.shift) if config.shift else _step,
                 DataLoader(TensorDataset(*val), batch_size=500),
                 metrics=[Accuracy(), MacroF1(10)], monitor="val_acc", mode="max",
                 extra={"rgb": rgb},
                 summary=f"{config.model} on {config.dataset}: {len(train[1])} train / "
                         f"{len(val[1])} val / {len(test_split[1])} test images")


def model_from_checkpoint(ckpt):
    return models.create(ckpt.model_name, **ckpt.model_config)
