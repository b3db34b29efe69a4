"""wordlm: a word-level LSTM language model on the Penn Treebank (Zaremba et al. 2014).

PTB as preprocessed by Mikolov (10k vocabulary, ``<eos>`` after every sentence: 929k / 73k /
82k tokens). The "small" configuration of Zaremba et al. — 2×200 LSTM, unroll 35, batch 20,
SGD lr 1 halved per epoch after epoch 4, global-norm clip 5, 13 epochs — reaches 120.7 / 114.5
validation / test perplexity (REFERENCES.md); the defaults here follow it, with one epoch.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...data import Vocab
from ...data.datasets import load_ptb
from ..checkpoint import load_checkpoint
from ._lm import (
    BPTTLoader, LMStep, RNNLanguageModel, build_from_checkpoint, lm_loaders, sample_text,
)
from .charlm import evaluate_lm
from .common import Parts, TaskConfig, report, seed_everything, train_task

DESCRIPTION = "word-level LSTM language model on Penn Treebank (Zaremba et al. 2014, small)"


@dataclasses.dataclass
class Config(TaskConfig):
    cell: str = "lstm"              # rnn | lstm | gru
    embed_size: int = 200
    hidden_size: int = 200
    num_layers: int = 2
    dropout: float = 0.0
    tie_weights: bool = False
    bptt: int = 35
    batch_size: int = 20
    optimizer: str = "sgd"
    lr: float = 1.0
    clip: float | None = 5.0
    scheduler: str = "none"
    sample_length: int = 30
    temperature: float = 1.0


def _tokens(config: Config):
    train = load_ptb("train", root=config.data_root)
    valid = load_ptb("valid", root=config.data_root)
    test = load_ptb("test", root=config.data_root)
    if config.limit is not None:   # --limit N keeps the first N training tokens (N/10 of the rest)
        train, valid, test = (train[: config.limit], valid[: max(config.limit // 10, 2)],
                              test[: max(config.limit // 10, 2)])
    return train, valid, test


def run(config: Config, run_dir, quiet=False, resume=False) -> dict:
    seed_everything(config)
    train_tokens, valid_tokens, test_tokens = _tokens(config)
    vocab = Vocab.build(train_tokens, specials=("<unk>", "<eos>"))
    train, val = lm_loaders(vocab.encode(train_tokens), vocab.encode(valid_tokens),
                            config.batch_size, config.bptt)
    model_config = dict(vocab_size=len(vocab), embed_size=config.embed_size,
                        hidden_size=config.hidden_size, num_layers=config.num_layers,
                        cell=config.cell, dropout=config.dropout, tie_weights=config.tie_weights)
    model = RNNLanguageModel(**model_config)
    if not quiet:
        print(f"wordlm: PTB {len(train_tokens):,} training tokens, vocabulary {len(vocab):,}, "
              f"{sum(p.numel() for p in model.parameters()):,} parameters")
    parts = Parts(model, f"word-{config.cell}", model_config, train, LMStep(), val,
                  report_perplexity=True, extra={"vocab": vocab.to_json(), "tokens": "words"})
    train_task("wordlm", config, parts, run_dir, quiet, resume)
    results = _test(model, vocab, test_tokens, config.bptt, quiet)
    words = sample_text(model.eval(), vocab, ["the"], config.sample_length, config.temperature,
                        rng=np.random.default_rng(config.seed))
    results["sample"] = " ".join(["the"] + words).replace(" <eos>", "\n")
    if not quiet:
        print("sample:\n" + results["sample"])
    return results


def _test(model, vocab, test_tokens, bptt, quiet):
    ids = vocab.encode(test_tokens)
    from ...data import lm_batchify

    loader = BPTTLoader(lm_batchify(np.asarray(ids), min(10, len(ids) // 2)), bptt)
    results = evaluate_lm(model, loader, True)
    results = {"test_loss": results["loss"], "test_ppl": results["ppl"]}
    report(results, quiet, "test")
    return results


def evaluate(ckpt, quiet=False) -> dict:
    ckpt = load_checkpoint(ckpt)
    config = Config(**ckpt.extra["task_config"])
    model, vocab = build_from_checkpoint(ckpt)
    _, _, test_tokens = _tokens(config)
    return _test(model, vocab, test_tokens, config.bptt, quiet)


def sample(ckpt, prompt: str, length: int, temperature: float, top_k=None, top_p=None,
           seed=None) -> str:
    model, vocab = build_from_checkpoint(load_checkpoint(ckpt))
    words = prompt.lower().split() or ["the"]
    out = sample_text(model, vocab, words, length, temperature, top_k, top_p,
                      np.random.default_rng(seed))
    return " ".join(words + out).replace(" <eos>", "\n")


__all__ = ["Config", "DESCRIPTION", "evaluate", "run", "sample", "lm_loaders"]
