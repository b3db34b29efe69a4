"""``gradwise demo``: the lecture notes' story in one command, on data every Python install has.

1. A character-level LSTM learns to write Python from the standard library's own source (the
   seeds' "generate Linux kernel code" example), with a live progress display.
2. It prints text sampled from the trained model.
3. It measures ‖∂L/∂h_t‖ for a loss at the last of T steps — tanh RNN vs LSTM — and plots it on
   a log scale: the RNN's gradient vanishes geometrically going back in time, the LSTM's
   additive cell path keeps it alive.

Needs only NumPy; tqdm and matplotlib are used when installed.
"""
from __future__ import annotations

import copy
import pathlib
import time

import numpy as np

from .. import nn
from ..core.random import manual_seed
from ..core.tensor import Tensor
from ..data import char_tokenize
from ..data.datasets import stdlib_corpus
from ..functional.loss import cross_entropy
from ..nn.gradient_flow import gradient_flow
from ..train.logging import make_run_dir, save_artifact
from ..train.optional import MissingDependencyError
from ..train.tasks import charlm
from ..train.tasks._lm import RNNLanguageModel


def demo_config(quick: bool, time_budget: float, runs_dir: str) -> charlm.Config:
    if quick:   # seconds, for tests: a tiny model on a small slice
        return charlm.Config(corpus="stdlib", max_chars=20_000, embed_size=16, hidden_size=32,
                             bptt=32, batch_size=8, epochs=None, max_steps=4, sample_length=80,
                             runs_dir=runs_dir, log_every=1)
    return charlm.Config(corpus="stdlib", max_chars=600_000, embed_size=32, hidden_size=128,
                         bptt=64, batch_size=32, lr=3e-3, clip=5.0, epochs=None, max_steps=600,
                         time_budget=time_budget, sample_length=400, temperature=0.7,
                         runs_dir=runs_dir, log_every=10)


def gradient_norms(trained: RNNLanguageModel, vocab, text: str, steps: int,
                   seed: int = 0) -> dict:
    """‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ for t = 1..T, loss = cross-entropy of the last step's prediction.

    Three recurrent layers read the same T characters (embedded by the trained model): a fresh
    tanh RNN and a fresh LSTM of the same size, and the trained LSTM. Normalising by the value at
    the last step makes the curves comparable whatever the loss scale.
    """
    manual_seed(seed)
    hidden = trained.rnn.hidden_size
    embed = trained.embedding
    ids = np.asarray(vocab.encode(char_tokenize(text)), np.int64)
    n = 8
    starts = np.linspace(0, len(ids) - steps - 2, n).astype(int)
    window = np.stack([ids[s:s + steps] for s in starts], axis=1)              # (T, N)
    target = Tensor(np.asarray([ids[s + steps] for s in starts], np.int64))    # (N,)
    # float64: the tanh RNN's gradient falls below float32's smallest number within ~30 steps
    x = Tensor(embed(Tensor(window)).array.astype(np.float64))                 # (T, N, E)
    V = len(vocab)
    models = {
        "tanh RNN (untrained)": (nn.RNN(x.shape[-1], hidden), nn.Linear(hidden, V)),
        "LSTM (untrained)": (nn.LSTM(x.shape[-1], hidden), nn.Linear(hidden, V)),
        "LSTM (trained)": (copy.deepcopy(trained.rnn), copy.deepcopy(trained.decoder)),
    }
    series = {}
    for label, (rnn, readout) in models.items():
        rnn.double().eval()
        readout.double()
        flow = gradient_flow(rnn, x, lambda out, r=readout: cross_entropy(r(out[-1]), target),
                             jacobians=False)
        norms = flow.grad_norms[0]
        series[label] = norms / max(norms[-1], 1e-30)
    return series


def run_demo(quick: bool = False, time_budget: float = 75.0, runs_dir: str = "runs",
             quiet: bool = False) -> dict:
    """Train, sample, measure gradient flow and plot; returns a summary dict."""
    t0 = time.perf_counter()
    config = demo_config(quick, time_budget, runs_dir)
    run_dir = make_run_dir(runs_dir, "demo")

    def say(line=""):
        if not quiet:
            print(line, flush=True)

    say("gradwise demo — a character-level LSTM learns Python from the standard library's source")
    say(f"run directory: {run_dir}")
    text = stdlib_corpus(max_chars=config.max_chars)
    trainer, results = charlm.run_char_lm("demo", config, text, run_dir, quiet, False,
                                          prompt="def ")
    say("\n--- sampled from the trained model (temperature "
        f"{config.temperature}) ---\n{results['sample']}\n---")
    steps = 30 if quick else 100
    series = gradient_norms(trainer.model, _vocab(trainer), text, steps)
    save_artifact(run_dir, "gradient_flow", {
        "series": series, "title": f"Gradient flow: loss at step T = {steps}"})
    ratio = {k: float(v[0]) for k, v in series.items()}
    say(f"gradient reaching step 1 from a loss at step {steps} (relative to step {steps}):")
    for label, r in ratio.items():
        say(f"  {label:22s} {r:.3e}")
    plot = None
    try:
        from ..viz import plot_curves, plot_gradient_flow
        from ..train.logging import read_metrics

        plot = plot_gradient_flow(series, run_dir / "gradient_flow.png",
                                  title=f"Gradient flow through time (loss at step {steps})",
                                  ylabel=r"$\|\partial L/\partial h_t\| \,/\, "
                                         r"\|\partial L/\partial h_T\|$")
        plot_curves(read_metrics(run_dir), run_dir / "curves.png", title="demo: char LSTM")
        say(f"gradient-flow plot: {plot}")
    except MissingDependencyError as e:
        say(f"plot skipped: {e.args[0]}. Install it with {e.hint}, then run: "
            f"gradwise plot {run_dir}")
    elapsed = time.perf_counter() - t0
    say(f"done in {elapsed:.0f} s: {trainer.step} training steps, validation loss "
        f"{results.get('loss', float('nan')):.3f} nats/char "
        f"({results.get('bpc', float('nan')):.2f} bits/char); files in {run_dir}")
    return {"run_dir": pathlib.Path(run_dir), "steps": trainer.step, "results": results,
            "gradient_ratio": ratio, "plot": plot, "seconds": elapsed}


def _vocab(trainer):
    from ..data import Vocab

    return Vocab.from_json(trainer.extra["vocab"])
