"""charlm: a character-level LSTM language model (char-rnn, Karpathy 2015).

Corpora: ``stdlib`` (the Python standard library's own source, present on every install — the
seeds' "generate Linux kernel code" example), ``shakespeare`` (tiny-shakespeare from the data
root) or the path of any UTF-8 text file. The first 95% of the characters train, the last 5%
validate (char-rnn's split; ``--val-fraction 0.1`` is nanoGPT's 90/10 split). Reported: loss
(nats/char), bits per character and perplexity.
"""
from __future__ import annotations

import dataclasses
import pathlib
import sys

import numpy as np

from ...core.random import default_generator, manual_seed
from ...data import Vocab, char_tokenize
from ...data.datasets import load_text, load_tiny_shakespeare, stdlib_corpus
from ...models.rnn_lm import RNNLanguageModel
from ..checkpoint import load_checkpoint
from . import _lm
from ._lm import (
    LMStep, build_from_checkpoint, evaluate_lm, lm_loader, lm_loaders, lm_model_config, sample_text,
)
from .common import Parts, TaskConfig, train_and_test

DESCRIPTION = "character-level LSTM language model (stdlib source, tiny-shakespeare or a file)"


@dataclasses.dataclass
class Config(TaskConfig):
    corpus: str = "stdlib"           # stdlib | shakespeare | path/to/file.txt
    max_chars: int = 1_200_000       # characters of the corpus to use (all of tiny-shakespeare)
    epochs: int | None = 5
    cell: str = "lstm"               # rnn | lstm | gru
    embed_size: int = 32
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0
    bptt: int = 64                   # truncated-BPTT window (time steps)
    batch_size: int = 128            # parallel streams
    lr: float = 4e-3
    clip: float | None = 5.0
    sample_length: int = 300         # characters generated after training
    temperature: float = 0.8
    val_fraction: float = 0.05       # the last fraction of the text validates
    prompt: str = ""                 # start of the sample after training (default: 1st char)

    def validate(self) -> None:
        super().validate()
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"--val-fraction must be in (0, 1), got {self.val_fraction}")


def load_corpus(config: Config) -> str:
    if config.corpus == "stdlib":
        return stdlib_corpus(max_chars=config.max_chars)
    if config.corpus == "shakespeare":
        return load_tiny_shakespeare(root=config.data_root)[: config.max_chars]
    path = pathlib.Path(config.corpus)
    if not path.is_file():
        raise FileNotFoundError(f"--corpus {config.corpus!r}: not 'stdlib', 'shakespeare' or an "
                                f"existing text file")
    return load_text(path)[: config.max_chars]


def split_text(config: Config, text: str) -> tuple[str, str]:
    """(training, validation) text: ``--limit`` characters, the last ``val_fraction`` validates."""
    if config.limit is not None:
        text = text[: config.limit]
    cut = int(len(text) * (1 - config.val_fraction))
    return text[:cut], text[cut:]


def build_from_text(config: Config, text: str) -> Parts:
    """The char LM of ``config`` and its BPTT loaders over ``text`` (charlm, poetry, demo)."""
    _lm.refuse_data_parallel()
    train_text, val_text = split_text(config, text)
    vocab = Vocab.build(char_tokenize(train_text), specials=("<unk>",))
    train, val = lm_loaders(vocab.encode(char_tokenize(train_text)),
                            vocab.encode(char_tokenize(val_text)), config.batch_size, config.bptt)
    model_config = lm_model_config(config, len(vocab))
    return Parts(RNNLanguageModel(**model_config), f"char-{config.cell}", model_config, train,
                 LMStep(), val, report_perplexity=True,
                 extra={"vocab": vocab.to_json(), "tokens": "chars"},
                 summary=f"{len(train_text):,} training / {len(val_text):,} validation "
                         f"characters, vocabulary {len(vocab)}")


def test_on_text(model, config: Config, run_dir, extra, text: str) -> dict:
    """Validation loss / bpc / perplexity; after training (``run_dir`` set) also a sample."""
    train_text, val_text = split_text(config, text)
    vocab = Vocab.from_json(extra["vocab"])
    val = lm_loader(vocab.encode(char_tokenize(val_text)), 10, config.bptt)
    results = evaluate_lm(model, val) if val is not None else {}
    if run_dir is not None:
        prompt = config.prompt or train_text[:1]
        results["sample"] = prompt + "".join(sample_text(
            model.eval(), vocab, list(prompt), config.sample_length, config.temperature,
            rng=default_generator()))
    return results


model_from_checkpoint = _lm.model_from_checkpoint


def build(config: Config) -> Parts:
    return build_from_text(config, load_corpus(config))


def test(model, config: Config, run_dir, extra) -> dict:
    return test_on_text(model, config, run_dir, extra, load_corpus(config))


def run_char_lm(task: str, config: Config, text: str, run_dir, quiet: bool, resume: bool,
                prompt: str = ""):
    """Train a char LM on ``text`` (``load_corpus(config)``'s) as run ``task``; returns
    (trainer, results). The demo's entry point."""
    config = dataclasses.replace(config, prompt=prompt or config.prompt)
    manual_seed(config.seed)
    return train_and_test(sys.modules[__name__], config, run_dir, quiet,
                          resume, parts=build_from_text(config, text), name=task)


def sample(ckpt, prompt: str, length: int, temperature: float, top_k=None, top_p=None,
           seed=None) -> str:
    """Text generated by a character-model checkpoint after ``prompt``."""
    model, vocab = build_from_checkpoint(load_checkpoint(ckpt))
    rng = np.random.default_rng(seed)
    tokens = sample_text(model, vocab, list(prompt), length, temperature, top_k, top_p, rng)
    return prompt + "".join(tokens)

