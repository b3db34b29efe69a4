"""poetry: a character LSTM that writes Tang poems (全唐诗, traditional characters).

Corpus ``quatrains`` keeps the five-character quatrains (五言绝句) of the Complete Tang Poems,
the usual choice of poetry-generation tutorials; ``tangshi300`` uses the 300 Tang Poems (small,
fast); ``all`` every poem. Poems are joined with a newline, and the model is trained exactly
like ``charlm``. Sampling starts from a prompt character, e.g. ``gradwise sample CKPT --prompt 春``.
"""
from __future__ import annotations

import dataclasses

from ...data.datasets import five_char_quatrains, load_tang_poems, load_tangshi300, poem_text
from . import charlm
from .common import report

DESCRIPTION = "character LSTM on Tang poems (five-character quatrains, 300 Tang Poems or all)"


@dataclasses.dataclass
class Config(charlm.Config):
    corpus: str = "quatrains"        # quatrains | tangshi300 | all
    max_chars: int = 2_000_000
    embed_size: int = 64
    hidden_size: int = 128
    bptt: int = 48
    sample_length: int = 48
    prompt: str = "春"


def load_corpus(config: Config) -> str:
    if config.corpus == "tangshi300":
        texts = [poem_text(p) for p in load_tangshi300(root=config.data_root)]
    elif config.corpus in ("quatrains", "all"):
        poems = load_tang_poems(root=config.data_root)
        texts = (five_char_quatrains(poems) if config.corpus == "quatrains"   # bodies already
                 else [poem_text(p) for p in poems])
    else:
        raise ValueError(f"--corpus {config.corpus!r} is unknown; choose quatrains, tangshi300 "
                         f"or all")
    return "\n".join(t for t in texts if t)[: config.max_chars] + "\n"


def run(config: Config, run_dir, quiet=False, resume=False) -> dict:
    _, results = charlm.run_char_lm("poetry", config, load_corpus(config), run_dir, quiet,
                                    resume, prompt=config.prompt)
    if not quiet:
        print("poem:\n" + results["sample"])
    return results


def evaluate(ckpt, quiet=False) -> dict:
    from ..checkpoint import load_checkpoint
    from ._lm import build_from_checkpoint, lm_loaders

    ckpt = load_checkpoint(ckpt)
    config = Config(**ckpt.extra["task_config"])
    model, vocab = build_from_checkpoint(ckpt)
    text = load_corpus(config)
    if config.limit is not None:
        text = text[: config.limit]
    val_text = text[int(len(text) * (1 - config.val_fraction)):]
    _, val = lm_loaders([0, 0] * config.batch_size, vocab.encode(list(val_text)),
                        config.batch_size, config.bptt)
    results = charlm.evaluate_lm(model, val, True)
    report(results, quiet, "evaluation")
    return results


sample = charlm.sample
