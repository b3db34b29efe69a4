"""poetry: a character LSTM that writes Tang poems (全唐诗, traditional characters).

Corpus ``quatrains`` keeps the five-character quatrains (五言绝句) of the Complete Tang Poems,
the usual choice of poetry-generation tutorials (about 4,100 poems); ``pentasyllabic`` every poem
whose lines all have five characters (五言诗: quatrains, regulated verse and longer, about 27,600
poems, 1.77 M characters); ``tangshi300`` uses the 300 Tang Poems (small, fast); ``all`` every poem. Poems are joined with a newline, and the model is trained exactly
like ``charlm``. Sampling starts from a prompt character, e.g. ``gradwise sample CKPT --prompt 春``.
"""
from __future__ import annotations

import dataclasses
import unicodedata

import numpy as np

from ...data.datasets import five_char_poems, load_tang_poems, load_tangshi300, poem_text
from ..checkpoint import load_checkpoint
from ..generate import generate
from . import charlm
from ._lm import build_from_checkpoint, model_step
from .common import Parts

DESCRIPTION = "character LSTM on Tang poems (five-character quatrains or poems, 300 Tang Poems, all)"


@dataclasses.dataclass
class Config(charlm.Config):
    corpus: str = "quatrains"        # quatrains | pentasyllabic | tangshi300 | all
    epochs: int | None = None        # poetry keeps the charlm defaults it was tuned with
    batch_size: int = 32
    lr: float = 2e-3
    max_chars: int = 2_000_000
    embed_size: int = 64
    hidden_size: int = 128
    bptt: int = 48
    sample_length: int = 48
    prompt: str = "春"


FIVE_CHAR_LINES = {"quatrains": 4, "pentasyllabic": None}  # corpus -> required number of lines


def load_corpus(config: Config) -> str:
    if config.corpus == "tangshi300":
        texts = [poem_text(p) for p in load_tangshi300(root=config.data_root)]
    elif config.corpus in FIVE_CHAR_LINES:
        texts = five_char_poems(load_tang_poems(root=config.data_root),
                                FIVE_CHAR_LINES[config.corpus])
    elif config.corpus == "all":
        texts = [poem_text(p) for p in load_tang_poems(root=config.data_root)]
    else:
        raise ValueError(f"--corpus {config.corpus!r} is unknown; choose quatrains, pentasyllabic, "
                         f"tangshi300 or all")
    return "\n".join(t for t in texts if t)[: config.max_chars] + "\n"


model_from_checkpoint = charlm.model_from_checkpoint


def build(config: Config) -> Parts:
    return charlm.build_from_text(config, load_corpus(config))


def test(model, config: Config, run_dir, extra) -> dict:
    """Validation scores as charlm's; after training a sample from ``--prompt`` (unconstrained)."""
    return charlm.test_on_text(model, config, run_dir, extra, load_corpus(config))


PUNCTUATION = "，。！？；"
ENDING = "。！？"                     # a poem ends a sentence
POEM_CHARS = 24                      # 4 lines × (5 characters + 1 mark)


def quatrain_mask(vocab) -> np.ndarray:
    """Additive logit masks (25, V) enforcing the quatrain form, one row per position.

    Position p of a poem (0–23, then the newline at 24): p % 6 == 5 allows only the marks
    ，。！？；, and the last one (23) only the sentence ends 。！？; 24 only ``\\n``; every other
    position only Chinese characters (Unicode ``Lo``).
    """
    tokens = vocab.itos
    is_mark = np.array([t in PUNCTUATION for t in tokens])
    is_end = np.array([t in ENDING for t in tokens])
    is_han = np.array([len(t) == 1 and unicodedata.category(t) == "Lo" for t in tokens])
    is_newline = np.array([t == "\n" for t in tokens])
    mask = np.full((POEM_CHARS + 1, len(tokens)), -np.inf)
    for pos in range(POEM_CHARS + 1):
        allowed = (is_newline if pos == POEM_CHARS else is_end if pos == POEM_CHARS - 1
                   else is_mark if pos % 6 == 5 else is_han)
        mask[pos, allowed] = 0.0
    return mask


WARM_UP_CHARS = 200                  # at most this many characters of the warm-up poem


def warm_state(step, newline: int, temperature: float, rng):
    """The recurrent state after the model has written a poem of its own, from a newline.

    Training carries the state from window to window, so the zero state is one the model has
    rarely seen: read from it, ``\n白日依山盡`` is followed by 。 with probability 0.98, where the
    corpus has ， after 99.9% of first lines; after a poem the model writes ， (0.999). The
    warm-up poem ends at the model's next newline (or after ``WARM_UP_CHARS``), which is not read.
    """
    last = [None]

    def recording(x, state):             # generate's loop, keeping the state it reached
        logits, last[0] = step(x, state)
        return logits, last[0]

    generate(recording, [newline], WARM_UP_CHARS, temperature, rng=rng, stop_id=newline)
    return last[0]


def sample(ckpt, prompt: str, length: int, temperature: float, top_k=None, top_p=None,
           seed=None) -> str:
    """Text generated after ``prompt``; for the five-character corpora, constrained to the form.

    With the quatrains or pentasyllabic corpus the prompt is the start of a poem: the model
    first writes a poem of its own (:func:`warm_state`, not returned), then reads the newline
    that separates poems and the prompt. Every draw is restricted (by :func:`quatrain_mask`) to
    what the form allows at its position, so the output is a sequence of 4 × 5-character
    quatrains whatever the model prefers: e.g. ``--length 23`` after a one-character prompt is
    exactly one poem. Other corpora sample freely.
    """
    ckpt = load_checkpoint(ckpt)
    if Config(**ckpt.extra["task_config"]).corpus not in FIVE_CHAR_LINES:
        return charlm.sample(ckpt.path, prompt, length, temperature, top_k, top_p, seed)
    model, vocab = build_from_checkpoint(ckpt)
    mask = quatrain_mask(vocab)
    prompt = prompt or "春"
    newline = vocab.lookup("\n")
    ids = [newline] + [vocab.lookup(c) for c in prompt]  # a poem starts after a newline
    plain = model_step(model)
    rng = np.random.default_rng(seed)
    warm = warm_state(plain, newline, temperature, rng)
    fed = [-1]                           # characters of the poem read so far (not the newline)

    def step(x, state):                  # mask the next token's logits by its position
        logits, state = plain(x, warm if state is None else state)  # (1, T, V)
        fed[0] += x.shape[1]
        logits = logits.copy()
        logits[0, -1] += mask[fed[0] % (POEM_CHARS + 1)]
        return logits, state

    out = generate(step, ids, length, temperature, top_k, top_p, rng)
    return prompt + "".join(vocab.decode(out))
