"""wordlm: a word-level LSTM language model on the Penn Treebank (Zaremba et al. 2014).

PTB as preprocessed by Mikolov (10k vocabulary, ``<eos>`` after every sentence: 929k / 73k /
82k tokens). The "small" configuration of Zaremba et al. — 2×200 LSTM, unroll 20, batch 20,
weights U(±0.1), SGD lr 1 halved per epoch after epoch 4, global-norm clip 5, 13 epochs — reaches
120.7 / 114.5 validation / test perplexity (REFERENCES.md); the defaults here follow it, with one
epoch: ``--epochs 13 --decay-after 4`` is the full recipe.

Loss convention: the training loss here is the mean over the T·N tokens of a window (as in
PyTorch's word_language_model); Zaremba et al.'s code sums it over the T = 20 unrolled steps and
averages over the batch, so their gradient is T·g for our g. Plain SGD with their lr 1 and clip 5
is therefore exactly our lr 20 and clip 0.25:  lr·clip_5(T·g) = T·clip_{5/T}(g)  for T = 20.
Those are the defaults.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...data import Vocab
from ...data.datasets import load_ptb
from ...models.rnn_lm import RNNLanguageModel
from ...nn import init
from ..callbacks import EpochDecay
from ..checkpoint import load_checkpoint
from . import _lm
from ._lm import (
    LMStep, build_from_checkpoint, evaluate_lm, lm_loader, lm_loaders, lm_model_config, sample_text,
)
from .common import Parts, TaskConfig

DESCRIPTION = "word-level LSTM language model on Penn Treebank (Zaremba et al. 2014, small)"


@dataclasses.dataclass
class Config(TaskConfig):
    cell: str = "lstm"              # rnn | lstm | gru
    embed_size: int = 200
    hidden_size: int = 200
    num_layers: int = 2
    dropout: float = 0.0
    tie_weights: bool = False
    bptt: int = 20
    batch_size: int = 20
    optimizer: str = "sgd"
    lr: float = 20.0                 # = Zaremba's lr 1 on a loss summed over the 20 steps
    clip: float | None = 0.25        # = Zaremba's clip 5 on that loss (module docstring)
    scheduler: str = "none"
    init_scale: float | None = 0.1   # every weight U(±s) (Zaremba et al.); None: layer defaults
    decay_after: int | None = None   # full lr for N epochs, then × lr_decay every epoch
    lr_decay: float = 0.5
    sample_length: int = 30
    temperature: float = 1.0

    def validate(self) -> None:
        super().validate()
        self.check_positive("init_scale")
        self.check_at_least(1, "decay_after")
        if self.decay_after is not None and self.scheduler != "none":
            raise ValueError(f"--decay-after is a schedule of its own; it needs --scheduler "
                             f"none, got {self.scheduler!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"--lr-decay must be in (0, 1], got {self.lr_decay}")


def _tokens(config: Config):
    train = load_ptb("train", root=config.data_root)
    valid = load_ptb("valid", root=config.data_root)
    test = load_ptb("test", root=config.data_root)
    if config.limit is not None:   # --limit N keeps the first N training tokens (N/10 of the rest)
        train, valid, test = (train[: config.limit], valid[: max(config.limit // 10, 2)],
                              test[: max(config.limit // 10, 2)])
    return train, valid, test


def build(config: Config) -> Parts:
    _lm.refuse_data_parallel()
    train_tokens, valid_tokens, _ = _tokens(config)
    vocab = Vocab.build(train_tokens, specials=("<unk>", "<eos>"))
    train, val = lm_loaders(vocab.encode(train_tokens), vocab.encode(valid_tokens),
                            config.batch_size, config.bptt)
    model_config = lm_model_config(config, len(vocab), tie_weights=config.tie_weights)
    model = RNNLanguageModel(**model_config)
    if config.init_scale is not None:
        init_uniform(model, config.init_scale)
    schedule = [] if config.decay_after is None else [
        EpochDecay(config.lr, config.decay_after, config.lr_decay)]
    return Parts(model, f"word-{config.cell}", model_config, train, LMStep(), val,
                 report_perplexity=True, extra={"vocab": vocab.to_json(), "tokens": "words"},
                 callbacks=schedule,
                 summary=f"PTB {len(train_tokens):,} training tokens, vocabulary {len(vocab):,}")


model_from_checkpoint = _lm.model_from_checkpoint


def init_uniform(model, scale: float) -> None:
    """Every parameter (embedding, LSTM, output layer) drawn from U(−scale, scale)."""
    for p in model.parameters():
        init.uniform_(p, -scale, scale)


def test(model, config: Config, run_dir, extra) -> dict:
    """Test loss and perplexity; after training (``run_dir`` set) also a sample after "the"."""
    vocab = Vocab.from_json(extra["vocab"])
    _, _, test_tokens = _tokens(config)
    out = evaluate_lm(model, lm_loader(vocab.encode(test_tokens), 10, config.bptt))
    results = {"test_loss": out["loss"], "test_ppl": out["ppl"]}
    if run_dir is not None:
        words = sample_text(model.eval(), vocab, ["the"], config.sample_length,
                            config.temperature, rng=np.random.default_rng(config.seed))
        results["sample"] = " ".join(["the"] + words).replace(" <eos>", "\n")
    return results


def sample(ckpt, prompt: str, length: int, temperature: float, top_k=None, top_p=None,
           seed=None) -> str:
    model, vocab = build_from_checkpoint(load_checkpoint(ckpt))
    words = prompt.lower().split() or ["the"]
    out = sample_text(model, vocab, words, length, temperature, top_k, top_p,
                      np.random.default_rng(seed))
    return " ".join(words + out).replace(" <eos>", "\n")

