"""Language-model plumbing of the charlm, wordlm and poetry tasks and the demo: BPTT, sampling.

The model, ``models.rnn_lm.RNNLanguageModel``, is the classic one of Zaremba et al. 2014 /
PyTorch's word_language_model example:

    e_t = Embedding(x_t);  h_t = RNN/LSTM/GRU(e_t, h_{t-1});  logits_t = W_o · dropout(h_t) + b_o

trained with truncated BPTT: the token stream is cut into N parallel streams (``lm_batchify``),
then into windows of ``bptt`` steps; the hidden state is carried from one window to the next
but detached, so gradients flow back at most ``bptt`` steps.
"""
from __future__ import annotations

import math

import numpy as np

from ... import distributed
from ...core.tensor import Tensor
from ...data import Vocab, bptt_windows, lm_batchify, num_bptt_windows
from ...functional.loss import cross_entropy
from ...models.rnn_lm import RNNLanguageModel
from ...nn.utils.tbptt import detach_hidden
from ..checkpoint import Checkpoint
from ..errors import UserError
from ..generate import generate
from ..trainer import StepOutput, evaluate_model
from . import TASKS
from .common import load_model

BPTT_TASKS = ("charlm", "wordlm", "poetry")  # the tasks trained with this module's LMStep


class LMStep:
    """Step function for truncated BPTT with the hidden state carried across windows.

    Its state (the carried hidden arrays) goes into checkpoints, so a resumed run continues
    with the same hidden state it had when it stopped.
    """

    def __init__(self):
        self.hidden = None

    def reset(self, training: bool) -> None:
        self.hidden = None

    def __call__(self, model, batch, training):
        x, y = batch                                            # (T, N), (T, N)
        logits, hidden = model(x, detach_hidden(self.hidden))   # (T, N, V)
        self.hidden = detach_hidden(hidden)
        V = logits.shape[-1]
        loss = cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        return StepOutput(loss, int(np.prod(y.shape)))

    def state_dict(self) -> dict:
        if self.hidden is None:
            return {}
        if isinstance(self.hidden, tuple):
            return {"h": self.hidden[0].array, "c": self.hidden[1].array}
        return {"h": self.hidden.array}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            self.hidden = None
        elif "c" in state:
            self.hidden = (Tensor(np.array(state["h"])), Tensor(np.array(state["c"])))
        else:
            self.hidden = Tensor(np.array(state["h"]))


class BPTTLoader:
    """The BPTT windows of a batchified stream as a resumable loader (one epoch per pass).

    ``state_dict()`` is the number of windows consumed in the current pass; after
    ``load_state_dict`` the next pass starts at that window.

    Shape: data (T, N) -> batches x (s, N), y (s, N) with s <= bptt
    """

    def __init__(self, data, bptt: int):
        self.data, self.bptt = data, bptt
        self._index = 0
        self._start = 0

    def __len__(self):
        return num_bptt_windows(self.data, self.bptt)

    def __iter__(self):
        start, self._start = self._start, 0
        for i, window in enumerate(bptt_windows(self.data, self.bptt)):
            if i < start:
                continue
            self._index = i + 1
            yield window
        self._index = 0

    def state_dict(self) -> dict:
        return {"batch_index": self._index}

    def load_state_dict(self, state: dict) -> None:
        index = int(state["batch_index"])
        if not 0 <= index <= len(self):
            raise ValueError(f"BPTTLoader.load_state_dict: batch_index {index} outside "
                             f"[0, {len(self)}]")
        self._index = self._start = index


def lm_loader(ids, batch_size: int, bptt: int) -> BPTTLoader | None:
    """An evaluation BPTT loader over token ids in ``min(batch_size, len // 2)`` streams (None
    for fewer than two tokens)."""
    if len(ids) < 2:
        return None
    return BPTTLoader(lm_batchify(np.asarray(ids), min(batch_size, len(ids) // 2)), bptt)


def lm_loaders(train_ids, val_ids, batch_size: int, bptt: int, eval_batch_size: int = 10):
    """Training and validation BPTT loaders from token-id lists."""
    if len(train_ids) < 2 * batch_size:
        raise ValueError(f"language model: {len(train_ids)} training tokens are too few for "
                         f"batch size {batch_size}; use a smaller --batch-size or a larger --limit")
    train = BPTTLoader(lm_batchify(np.asarray(train_ids), batch_size), bptt)
    return train, lm_loader(val_ids, eval_batch_size, bptt)


def lm_model_config(config, vocab_size: int, **extra) -> dict:
    """The ``RNNLanguageModel`` keyword arguments of a charlm/wordlm/poetry config (saved in
    every checkpoint; ``model_from_checkpoint`` rebuilds the model from them)."""
    return dict(vocab_size=vocab_size, embed_size=config.embed_size,
                hidden_size=config.hidden_size, num_layers=config.num_layers, cell=config.cell,
                dropout=config.dropout, **extra)


def evaluate_lm(model, loader) -> dict:
    """Mean NLL per token (``loss``), perplexity and bits per token of ``model`` on ``loader``."""
    results = evaluate_model(model, loader, LMStep(), report_perplexity=True)
    results["bpc"] = bits_per_token(results["loss"])
    return results


def model_from_checkpoint(ckpt: Checkpoint):
    return RNNLanguageModel(**ckpt.model_config)


def build_from_checkpoint(ckpt: Checkpoint):
    """(model, vocab) rebuilt from a language-model checkpoint and loaded with its weights."""
    return load_model(ckpt, model_from_checkpoint), Vocab.from_json(ckpt.extra["vocab"])


def refuse_data_parallel() -> None:
    """Raise UserError under ``mpiexec -n W``, W > 1: the hidden state that truncated BPTT
    carries from batch to batch cannot be split across ranks (docs/distributed.md)."""
    if distributed.launched_by_mpi() and distributed.get_world_size() > 1:
        supported = ", ".join(t for t in TASKS if t not in BPTT_TASKS)
        raise UserError(f"data-parallel training (mpiexec, {distributed.get_world_size()} ranks) "
                        f"does not support truncated-BPTT tasks ({', '.join(BPTT_TASKS)}), whose "
                        f"hidden state is carried from batch to batch; supported: {supported}",
                        "train this task in one process, without mpiexec")


def model_step(model):
    """``generate``'s step function for a (T, N)-layout model: ids (1, T) -> logits (1, T, V)."""

    def step(ids, state):
        logits, state = model(Tensor(np.ascontiguousarray(ids.T)), state)   # (T, 1, V)
        return logits.array.transpose(1, 0, 2), state                       # (1, T, V)

    return step


def sample_text(model, vocab: Vocab, prompt_tokens, length: int, temperature=0.8, top_k=None,
                top_p=None, rng=None, stop_token=None) -> list:
    """Tokens drawn after ``prompt_tokens`` (unknown prompt tokens map to <unk>)."""
    prompt = [vocab.lookup(t) for t in prompt_tokens] if prompt_tokens else [0]
    stop_id = vocab.stoi.get(stop_token) if stop_token else None
    ids = generate(model_step(model), prompt, length, temperature, top_k, top_p, rng, stop_id)
    return vocab.decode(ids)


def bits_per_token(nll: float) -> float:
    return nll / math.log(2)
