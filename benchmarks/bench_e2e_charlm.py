"""End-to-end training speed of the 2×512 character LSTM, gradwise vs PyTorch CPU, same process.

    python benchmarks/bench_e2e_charlm.py [--rounds 5] [--repeat 4] [--threads N]

The model, data, hyperparameters and batch are those of the tiny-shakespeare row of
docs/results/charlm_shakespeare.md (``gradwise train charlm --corpus shakespeare --num-layers 2
--hidden-size 512 --embed-size 64 --batch-size 32 --bptt 64 --optimizer adam --lr 2e-3 --clip 5``):
Embedding(66, 64) → LSTM(64, 512, 2 layers) → Linear(512, 66), 3.32 M parameters, truncated BPTT
windows of 64 steps × 32 streams = 2,048 characters per step.

One timed *training step* is what the Trainer does per batch: zero the gradients, forward with the
hidden state carried (detached) from the previous window, mean cross-entropy, ``loss.item()``,
backward, global-norm clipping to 5, Adam update. gradwise runs its own ``LMStep`` and
``RNNLanguageModel`` (the code ``gradwise train charlm`` runs); PyTorch runs the same module
structure with the same initial weights on the same windows of tiny-shakespeare
(``torch.nn.LSTM``, ``clip_grad_norm_``, ``torch.optim.Adam``). The script checks that the first
losses agree, then alternates ``rounds`` blocks of ``repeat`` steps per library (so load from
other processes hits both alike) and reports the median and best step time and tokens per second.
``--threads N`` pins OpenBLAS and PyTorch to N threads (read before NumPy loads).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if "--threads" in sys.argv:  # must reach OpenBLAS before NumPy loads it
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import blas_threads, machine_info, print_table  # noqa: E402

from gradwise import optim  # noqa: E402
from gradwise.core.random import manual_seed  # noqa: E402
from gradwise.core.tensor import Tensor  # noqa: E402
from gradwise.data import Vocab, bptt_windows, char_tokenize, lm_batchify  # noqa: E402
from gradwise.data.datasets import load_tiny_shakespeare  # noqa: E402
from gradwise.nn.utils import clip_grad_norm_  # noqa: E402
from gradwise.train.tasks._lm import LMStep, RNNLanguageModel  # noqa: E402

EMBED, HIDDEN, LAYERS, BATCH, BPTT, LR, CLIP = 64, 512, 2, 32, 64, 2e-3, 5.0


class TorchCharLM(torch.nn.Module):
    """The same network in PyTorch, with gradwise's parameter names."""

    def __init__(self, vocab_size):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, EMBED)
        self.rnn = torch.nn.LSTM(EMBED, HIDDEN, LAYERS)
        self.decoder = torch.nn.Linear(HIDDEN, vocab_size)

    def forward(self, x, hidden=None):
        out, hidden = self.rnn(self.embedding(x), hidden)     # (T, N, H)
        return self.decoder(out), hidden                      # (T, N, V)


def windows(n_windows):
    """The first ``n_windows`` training windows of tiny-shakespeare's 90% split, and V."""
    text = load_tiny_shakespeare()
    train_text = text[: int(len(text) * 0.9)]
    vocab = Vocab.build(char_tokenize(train_text), specials=("<unk>",))
    data = lm_batchify(np.asarray(vocab.encode(char_tokenize(train_text))), BATCH)  # (T, N)
    out = []
    for x, y in bptt_windows(data, BPTT):
        out.append((x.array, y.array))
        if len(out) == n_windows:
            break
    return out, len(vocab)


def gradwise_trainer(vocab_size, state):
    manual_seed(0)
    model = RNNLanguageModel(vocab_size, EMBED, HIDDEN, LAYERS, cell="lstm")
    model.load_state_dict(state, strict=True)
    model.train()
    opt = optim.Adam(model.parameters(), lr=LR)
    step_fn = LMStep()

    def step(x, y):
        opt.zero_grad()
        out = step_fn(model, (Tensor(x), Tensor(y)), True)
        loss = float(out.loss.item())
        out.loss.backward()
        clip_grad_norm_(list(model.parameters()), CLIP)
        opt.step()
        return loss

    return step


def torch_trainer(model):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    hidden = [None]

    def step(x, y):
        opt.zero_grad()
        h = None if hidden[0] is None else tuple(t.detach() for t in hidden[0])
        logits, hidden[0] = model(torch.from_numpy(x), h)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(y).reshape(-1))
        value = float(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return value

    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/torch threads for both libraries (read before NumPy loads)")
    args = ap.parse_args()
    torch.set_num_threads(blas_threads())
    print(f"{machine_info()}; torch {torch.__version__} threads {torch.get_num_threads()}")
    n = 2 + args.rounds * args.repeat
    data, vocab_size = windows(n)
    torch.manual_seed(0)
    tmodel = TorchCharLM(vocab_size)
    state = {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}
    ours, theirs = gradwise_trainer(vocab_size, state), torch_trainer(tmodel)
    # warm-up and agreement: two steps each on the same windows from the same weights
    for x, y in data[:2]:
        lo, lt = ours(x, y), theirs(x, y)
        print(f"  first losses: gradwise {lo:.5f}  torch {lt:.5f}", file=sys.stderr)
        if abs(lo - lt) > 1e-3 * max(1.0, abs(lt)):
            raise SystemExit(f"losses differ: gradwise {lo} vs torch {lt}")
    t_ours, t_theirs, i = [], [], 2
    for _ in range(args.rounds):
        for fn, times in ((ours, t_ours), (theirs, t_theirs)):
            for k in range(args.repeat):
                x, y = data[i + k]
                t0 = time.perf_counter()
                fn(x, y)
                times.append(time.perf_counter() - t0)
        i += args.repeat
    tokens = BATCH * BPTT
    rows = []
    for name, times in (("gradwise", t_ours), ("PyTorch", t_theirs)):
        med, best = float(np.median(times)), min(times)
        rows.append([name, med * 1e3, best * 1e3, tokens / med, tokens / best])
    rows.append(["ratio gradwise/PyTorch (tokens/s)", "", "", rows[0][3] / rows[1][3],
                 rows[0][4] / rows[1][4]])
    print_table(rows, ["library", "step ms (median)", "step ms (best)", "tokens/s (median)",
                       "tokens/s (best)"])


if __name__ == "__main__":
    main()
