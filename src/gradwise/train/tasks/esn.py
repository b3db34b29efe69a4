"""esn: an echo state network predicting the Mackey-Glass series (Jaeger 2001; 2004).

The reservoir is fixed; only the linear readout is fitted, in closed form by ridge regression
on the reservoir states after a washout (no gradient descent, so no epochs). Reported:
one-step-ahead NRMSE on held-out data (teacher forcing) and the NRMSE of ``horizon`` steps of
free-running generation, where each prediction is fed back as the next input.
NRMSE = RMSE / std(target). The same two scores are reported for a linear baseline: ridge
regression of s(t+1) on the last ``delays`` values s(t), …, s(t-delays+1) (an AR model fitted on
the same training series, with the same ridge), and ``free_run.png`` draws both free runs.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...core.random import manual_seed
from ...data.datasets import mackey_glass
from ...models.autoregression import RidgeOnDelays
from ...nn.esn import EchoStateNetwork
from ..logging import save_artifact
from .common import Parts, TaskConfig

DESCRIPTION = "echo state network on Mackey-Glass (tau = 17), ridge-regression readout"


@dataclasses.dataclass
class Config(TaskConfig):
    length: int = 3000               # samples of the series (train + test)
    train_fraction: float = 0.7
    reservoir_size: int = 400
    spectral_radius: float = 0.95
    sparsity: float = 0.9
    leak_rate: float = 0.3
    input_scaling: float = 0.5
    ridge: float = 1e-7
    washout: int = 100
    horizon: int = 84                # free-running steps scored (Jaeger's 84)
    tau: float = 17.0
    delays: int = 30                 # baseline: ridge regression on the last N values

    def validate(self):
        super().validate()
        self.check_at_least(1, "delays")


def _series(config: Config):
    n = config.length if config.limit is None else max(min(config.length, config.limit), 300)
    s = mackey_glass(n, tau=config.tau, discard=100)
    s = np.tanh(s - 1.0)                # Jaeger's squashing, centres the series near 0
    cut = int(n * config.train_fraction)
    return s[:cut], s[cut:]


def nrmse(pred, target) -> float:
    pred, target = np.asarray(pred, np.float64).ravel(), np.asarray(target, np.float64).ravel()
    return float(np.sqrt(np.mean((pred - target) ** 2)) / max(np.std(target), 1e-12))


def _model(config: Config, model_config: dict):
    manual_seed(config.seed)
    return EchoStateNetwork(1, output_size=1, dtype=np.float64, **model_config)


def _scores(model, train, test, horizon) -> dict:
    # one step ahead on the test part: drive with test[t], predict test[t+1]; the reservoir
    # starts from the state reached at the end of the training series
    model.states(train[:, None])
    x0 = model.last_state
    pred = model(test[:-1, None], x0=x0).array[:, 0]
    one_step = nrmse(pred, test[1:])
    h = min(horizon, len(test) - 1)
    gen = model.generate(h, train[:, None]).array[:, 0]     # continues right after train
    return {"one_step_nrmse": one_step, "free_run_nrmse": nrmse(gen, test[:h]),
            "horizon": h}


def _baseline_scores(config: Config, train, test, horizon) -> tuple[dict, np.ndarray]:
    base = RidgeOnDelays(config.delays, config.ridge).fit(train)
    k = config.delays
    history = np.concatenate([train[-(k - 1):] if k > 1 else train[:0], test[:-1]])
    one_step = nrmse(base.predict(history), test[1:])          # windows ending at test[0..-2]
    h = min(horizon, len(test) - 1)
    gen = base.generate(h, train)
    return {"baseline_one_step_nrmse": one_step, "baseline_free_run_nrmse": nrmse(gen, test[:h])}, gen


def _model_config(config: Config) -> dict:
    return dict(reservoir_size=config.reservoir_size, spectral_radius=config.spectral_radius,
                sparsity=config.sparsity, leak_rate=config.leak_rate,
                input_scaling=config.input_scaling, ridge=config.ridge, washout=config.washout)


def build(config: Config) -> Parts:
    """The reservoir of ``config``; ``fit`` solves the readout on the training series."""
    train, test_series = _series(config)
    if config.washout >= len(train) - 1:
        raise ValueError(f"--washout {config.washout} leaves no training step of the "
                         f"{len(train)}-sample training series; lower it or raise --length")
    model_config = _model_config(config)
    model = _model(config, model_config)
    return Parts(model, "esn", model_config,
                 fit=lambda: model.fit(train[:-1, None], train[1:, None]),  # s(t) -> s(t+1)
                 summary=f"Mackey-Glass tau={config.tau}, {len(train)} train / "
                         f"{len(test_series)} test samples, reservoir {config.reservoir_size}, "
                         f"spectral radius {config.spectral_radius}")


def model_from_checkpoint(ckpt):
    model = _model(Config(**ckpt.extra["task_config"]), ckpt.model_config)
    model.fitted = True                 # the readout comes with the checkpoint's weights
    return model


def test(model, config: Config, run_dir, extra) -> dict:
    """NRMSE one step ahead and of the free run, for the ESN and the ridge-on-delays baseline;
    after fitting also the free runs for ``gradwise plot``."""
    train, test_series = _series(config)
    results = _scores(model, train, test_series, config.horizon)
    baseline, base_gen = _baseline_scores(config, train, test_series, config.horizon)
    results.update(baseline)
    if run_dir is not None:
        h = results["horizon"]
        esn_gen = model.generate(h, train[:, None]).array[:, 0]
        target = test_series[:h]
        save_artifact(run_dir, "free_run", {
            "history": train[-min(100, len(train)):], "target": target,
            "title": f"Mackey-Glass tau={config.tau:g}: {h}-step free-running prediction",
            "series": {f"ESN free run (NRMSE {nrmse(esn_gen, target):.2g})": esn_gen,
                       f"ridge on {config.delays} delays (NRMSE {nrmse(base_gen, target):.2g})":
                       base_gen}})
    return results
