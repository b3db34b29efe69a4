"""adding: the adding problem, a test of long-range memory (Hochreiter & Schmidhuber 1997).

Input: T steps of (value ~ U(0, 1), marker ∈ {0, 1}) with exactly two markers; target: the sum
of the two marked values, read from the last hidden state. Predicting 1.0 always gives MSE 1/6
≈ 0.167; a sequence counts as solved when |error| < 0.04. Le, Jaitly & Hinton (2015): a tanh
RNN fails for long T, while the LSTM and the IRNN (ReLU RNN with identity recurrent weights and
zero biases) solve T = 150–400. The run also records ‖∂L/∂h_t‖ per step (gradient_flow.json →
``gradwise plot RUN``) to show why. ``--chrono`` initialises an LSTM's gate biases as Tallec &
Ollivier (2018): b_f ~ log U(1, T−1), b_i = −b_f, so the forget gate starts near 1 with time
scales up to T.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...core.random import default_generator
from ...core.tensor import Tensor
from ...data import DataLoader, TensorDataset
from ...data.datasets import adding_problem
from ...functional.loss import mse_loss
from ...models.adding import RECURRENT_LAYERS, AddingModel, chrono_init
from ...nn.gradient_flow import gradient_flow
from ..logging import save_artifact
from ..metrics import Solved
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig

DESCRIPTION = "adding problem with rnn | lstm | gru | irnn (Le, Jaitly & Hinton 2015)"
MODELS = RECURRENT_LAYERS


@dataclasses.dataclass
class Config(TaskConfig):
    model: str = "lstm"              # rnn | lstm | gru | irnn
    seq_len: int = 50
    hidden_size: int = 64
    train_size: int = 10_000
    test_size: int = 1_000
    batch_size: int = 50
    lr: float = 1e-3
    clip: float | None = 1.0
    chrono: bool = False             # lstm only: chrono initialisation of the gate biases

    def validate(self):
        super().validate()
        self.check_choice("model", MODELS)
        self.check_at_least(2, "seq_len")
        if self.chrono and self.model != "lstm":
            raise ValueError(f"--chrono initialises LSTM gates; --model is {self.model!r}")


def _data(config: Config, rng):
    n_train = config.train_size if config.limit is None else min(config.train_size, config.limit)
    n_test = config.test_size if config.limit is None else max(1, min(config.test_size,
                                                                     config.limit // 5))
    splits = []
    for n in (n_train, n_test, n_test):
        x, y = adding_problem(n, config.seq_len, rng=rng)      # (T, N, 2), (N, 1)
        splits.append((x.transpose(1, 0, 2), y))                 # batch-major for the loader
    return splits


def _step(model, batch, training):
    x, y = batch                                                # (N, T, 2), (N, 1)
    pred = model(x.permute(1, 0, 2))                            # (N, 1)
    return StepOutput(mse_loss(pred, y), len(y), pred, y)


def record_gradient_flow(model: AddingModel, x, y, run_dir) -> np.ndarray:
    """‖∂L/∂h_t‖ of the last-step loss for every step t; saved for ``gradwise plot``."""
    flow = gradient_flow(model.rnn, Tensor(x), lambda out: mse_loss(model.head(out[-1]), Tensor(y)),
                         jacobians=False)
    model.zero_grad()
    norms = flow.grad_norms[0]
    save_artifact(run_dir, "gradient_flow", {"series": {type(model.rnn).__name__: norms},
                                             "title": "adding problem: ‖∂L/∂h_t‖"})
    return norms


def build(config: Config) -> Parts:
    (xtr, ytr), (xva, yva), _ = _data(config, np.random.default_rng(config.seed))
    model_config = {"model": config.model, "hidden_size": config.hidden_size}
    model = AddingModel(**model_config)
    if config.chrono:
        chrono_init(model.rnn, config.seq_len, default_generator())
    return Parts(model, f"adding-{config.model}", model_config,
                 DataLoader(TensorDataset(xtr, ytr), batch_size=config.batch_size, shuffle=True),
                 _step, DataLoader(TensorDataset(xva, yva), batch_size=256), metrics=[Solved()],
                 summary=f"T = {config.seq_len}, {len(ytr)} training sequences, model "
                         f"{config.model} (hidden {config.hidden_size}); predicting 1 gives "
                         f"MSE 0.167")


def model_from_checkpoint(ckpt):
    return AddingModel(**ckpt.model_config)


def test(model, config: Config, run_dir, extra) -> dict:
    """Test MSE and solved fraction; after training also ‖∂L/∂h_t‖ of 64 test sequences."""
    _, _, (xte, yte) = _data(config, np.random.default_rng(config.seed))
    results = evaluate_model(model, DataLoader(TensorDataset(xte, yte), batch_size=256), _step,
                             [Solved()])
    if run_dir is not None:
        n = min(len(yte), 64)
        record_gradient_flow(model, xte[:n].transpose(1, 0, 2), yte[:n], run_dir)
    return {f"test_{k}": v for k, v in results.items()}
