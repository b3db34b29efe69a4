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

from ...core.random import default_generator
from ...data import Vocab, char_tokenize
from ...data.datasets import load_text, load_tiny_shakespeare, stdlib_corpus
from ..checkpoint import load_checkpoint
from ..trainer import evaluate_model
from ._lm import (
    LMStep, RNNLanguageModel, bits_per_token, build_from_checkpoint, lm_loaders, sample_text,
)
from .common import Parts, TaskConfig, report, seed_everything, train_task

DESCRIPTION = "character-level LSTM language model (stdlib source, tiny-shakespeare or a file)"


@dataclasses.dataclass
class Config(TaskConfig):
    corpus: str = "stdlib"           # stdlib | shakespeare | path/to/file.txt
    max_chars: int = 400_000         # characters of the corpus to use
    cell: str = "lstm"               # rnn | lstm | gru
    embed_size: int = 32
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0
    bptt: int = 64                   # truncated-BPTT window (time steps)
    batch_size: int = 32             # parallel streams
    lr: float = 2e-3
    clip: float | None = 5.0
    sample_length: int = 300         # characters generated after training
    temperature: float = 0.8
    val_fraction: float = 0.05       # the last fraction of the text validates

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


def run_char_lm(task: str, config: Config, text: str, run_dir, quiet: bool, resume: bool,
                prompt: str = "", extra_callbacks=()):
    """Train a char LM on ``text`` (the last ``val_fraction`` validates); return metrics, sample."""
    seed_everything(config)
    if config.limit is not None:
        text = text[: config.limit]
    cut = int(len(text) * (1 - config.val_fraction))
    train_text, val_text = text[:cut], text[cut:]
    vocab = Vocab.build(char_tokenize(train_text), specials=("<unk>",))
    train, val = lm_loaders(vocab.encode(char_tokenize(train_text)),
                            vocab.encode(char_tokenize(val_text)), config.batch_size, config.bptt)
    model_config = dict(vocab_size=len(vocab), embed_size=config.embed_size,
                        hidden_size=config.hidden_size, num_layers=config.num_layers,
                        cell=config.cell, dropout=config.dropout)
    model = RNNLanguageModel(**model_config)
    if not quiet:
        print(f"{task}: {len(train_text):,} training / {len(val_text):,} validation characters, "
              f"vocabulary {len(vocab)}, {sum(p.numel() for p in model.parameters()):,} parameters")
    parts = Parts(model, f"char-{config.cell}", model_config, train, LMStep(), val,
                  report_perplexity=True, extra={"vocab": vocab.to_json(), "tokens": "chars"})
    trainer = train_task(task, config, parts, run_dir, quiet, resume, extra_callbacks)
    results = trainer.evaluate(val) if val is not None else {}
    if "loss" in results:
        results["bpc"] = bits_per_token(results["loss"])
    report(results, quiet, "validation")
    sample = "".join(sample_text(model.eval(), vocab, list(prompt or train_text[:1]),
                                 config.sample_length, config.temperature,
                                 rng=default_generator()))
    results["sample"] = (prompt or train_text[:1]) + sample
    return trainer, results


def run(config: Config, run_dir, quiet=False, resume=False) -> dict:
    _, results = run_char_lm("charlm", config, load_corpus(config), run_dir, quiet, resume)
    if not quiet:
        print("sample:\n" + results["sample"])
    return results


def evaluate(ckpt, quiet=False) -> dict:
    """Validation loss / bpc / perplexity of a checkpoint on its own corpus split."""
    ckpt = load_checkpoint(ckpt)
    config = Config(**ckpt.extra["task_config"])
    model, vocab = build_from_checkpoint(ckpt)
    text = load_corpus(config)
    if config.limit is not None:
        text = text[: config.limit]
    val_text = text[int(len(text) * (1 - config.val_fraction)):]
    _, val = lm_loaders([0, 0] * config.batch_size, vocab.encode(char_tokenize(val_text)),
                        config.batch_size, config.bptt)
    return evaluate_lm(model, val, quiet)


def evaluate_lm(model, loader, quiet) -> dict:
    """Mean NLL per token, bits per token and perplexity of ``model`` on a BPTT loader."""
    results = evaluate_model(model, loader, LMStep(), report_perplexity=True)
    results["bpc"] = bits_per_token(results["loss"])
    report(results, quiet, "evaluation")
    return results


def sample(ckpt, prompt: str, length: int, temperature: float, top_k=None, top_p=None,
           seed=None) -> str:
    """Text generated by a character-model checkpoint after ``prompt``."""
    import numpy as np

    model, vocab = build_from_checkpoint(load_checkpoint(ckpt))
    rng = np.random.default_rng(seed)
    tokens = sample_text(model, vocab, list(prompt), length, temperature, top_k, top_p, rng)
    return prompt + "".join(tokens)
