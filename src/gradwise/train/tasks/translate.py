"""translate: French → English (or back) with an attention encoder–decoder (Bahdanau et al. 2014).

Data: the Tatoeba eng-fra pairs of PyTorch's "NLP From Scratch" tutorial, normalised like it
(lower case, ASCII, a space before . ! ?), filtered to at most ``max_length`` words per side and
to English sides starting "i am", "he is", … (10,599 pairs at ``max_length`` 10); a seeded
shuffle keeps 5% for validation and 5% (or ``--test-size`` pairs) for test. The model is ``gradwise.models.Seq2Seq`` (bidirectional GRU
encoder, additive attention, teacher forcing). Reported: token accuracy under teacher forcing
and corpus BLEU-4 of greedy decoding (beam search with ``--beam N``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...core.random import default_generator
from ...core.tensor import Tensor
from ...data import DataLoader, Vocab, pad_collate
from ...data.datasets import ENG_PREFIXES, load_eng_fra, normalize_tutorial
from ...models.seq2seq import Seq2Seq, Seq2SeqConfig
from ..checkpoint import load_checkpoint
from ..decoding import decode, decoding_bleu
from ..logging import save_artifact
from ..metrics import Accuracy
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig, limit_splits, load_model

DESCRIPTION = "eng-fra seq2seq with attention (greedy / beam search, BLEU-4)"
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")


@dataclasses.dataclass
class Config(TaskConfig):
    direction: str = "fra-eng"       # fra-eng (the tutorial's) | eng-fra
    max_length: int = 10             # words per side (the tutorial keeps < 10)
    all_pairs: bool = False          # skip the "i am / he is ..." prefix filter
    cell: str = "gru"                # gru | lstm
    attention: str = "additive"      # additive | dot | general
    embed_size: int = 64
    hidden_size: int = 128
    dropout: float = 0.1
    teacher_forcing: float = 1.0
    beam: int = 1                    # 1 = greedy decoding
    bleu_examples: int = 200         # validation sentences decoded for BLEU each epoch
    batch_size: int = 32
    test_size: int = 0               # held-out test pairs (0: one in twenty pairs)

    def validate(self):
        super().validate()
        if self.test_size < 0:
            raise ValueError(f"--test-size must be >= 0, got {self.test_size}")
        if self.direction not in ("fra-eng", "eng-fra"):
            raise ValueError(f"--direction must be fra-eng or eng-fra, got {self.direction!r}")


def _pairs(config: Config, rng):
    pairs = load_eng_fra(root=config.data_root, normalize="tutorial",
                         reverse=config.direction == "fra-eng", max_length=config.max_length - 1,
                         prefixes=None if config.all_pairs else ENG_PREFIXES)
    pairs = [(a.split(), b.split()) for a, b in pairs]
    order = rng.permutation(len(pairs))
    n_hold = max(len(pairs) // 20, 1)
    n_test = config.test_size or n_hold
    if n_test + n_hold >= len(pairs):
        raise ValueError(f"--test-size {n_test} leaves no training pair of the {len(pairs)} "
                         f"pairs kept (5% = {n_hold} also validate)")
    test = [pairs[i] for i in order[:n_test]]
    val = [pairs[i] for i in order[n_test:n_test + n_hold]]
    train = [pairs[i] for i in order[n_test + n_hold:]]
    return limit_splits(config.limit, train, val, test)


def _encode(src_vocab: Vocab, tgt_vocab: Vocab, pairs):
    return [(np.asarray(src_vocab.encode(s, eos=True), np.int64),
             np.asarray(tgt_vocab.encode(t, bos=True, eos=True), np.int64)) for s, t in pairs]


def _loader(samples, batch_size, shuffle=False):
    return DataLoader(samples, batch_size=batch_size, shuffle=shuffle, collate_fn=pad_collate)


class Seq2SeqStep:
    """Teacher-forced training step; targets tgt[:, 1:], padding ignored."""

    def __init__(self, teacher_forcing: float):
        self.teacher_forcing = teacher_forcing

    def __call__(self, model, batch, training):
        src, lengths, _, tgt = batch
        ratio = self.teacher_forcing if training else 1.0
        logits, _ = model(src, lengths, tgt, teacher_forcing_ratio=ratio,
                          generator=default_generator())
        target = Tensor(tgt.array[:, 1:])
        n = int((target.array != model.config.pad_idx).sum())
        return StepOutput(model.loss(logits, tgt), n, logits, target)


def build(config: Config) -> Parts:
    train, val, test_pairs = _pairs(config, np.random.default_rng(config.seed))
    src_vocab = Vocab.build([s for s, _ in train], specials=SPECIALS)
    tgt_vocab = Vocab.build([t for _, t in train], specials=SPECIALS)
    model_config = dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                        embedding_dim=config.embed_size, hidden_size=config.hidden_size,
                        cell=config.cell, attention=config.attention, dropout=config.dropout,
                        pad_idx=0, bos_idx=2, eos_idx=3)
    bleu_pairs = val[:config.bleu_examples]
    return Parts(Seq2Seq(Seq2SeqConfig(**model_config)), "seq2seq", model_config,
                 _loader(_encode(src_vocab, tgt_vocab, train), config.batch_size, True),
                 Seq2SeqStep(config.teacher_forcing),
                 _loader(_encode(src_vocab, tgt_vocab, val), 100),
                 metrics=[Accuracy(ignore_index=0)],
                 eval_fn=lambda m: {"bleu": decoding_bleu(m, src_vocab, tgt_vocab, bleu_pairs)},
                 monitor="val_bleu", mode="max",
                 extra={"src_vocab": src_vocab.to_json(), "tgt_vocab": tgt_vocab.to_json()},
                 summary=f"{config.direction} {len(train)} / {len(val)} / {len(test_pairs)} "
                         f"pairs, vocabularies {len(src_vocab):,} / {len(tgt_vocab):,}")


def model_from_checkpoint(ckpt):
    return Seq2Seq(Seq2SeqConfig(**ckpt.model_config))


def test(model, config: Config, run_dir, extra) -> dict:
    """Teacher-forced loss and token accuracy, BLEU-4 of decoding; after training also three
    example translations and the attention of the first test sentence."""
    src_vocab, tgt_vocab = Vocab.from_json(extra["src_vocab"]), Vocab.from_json(extra["tgt_vocab"])
    _, _, pairs = _pairs(config, np.random.default_rng(config.seed))
    loader = _loader(_encode(src_vocab, tgt_vocab, pairs), 100)
    out = evaluate_model(model, loader, Seq2SeqStep(1.0), [Accuracy(ignore_index=0)])
    results = {"test_loss": out["loss"], "test_token_acc": out["acc"],
               "test_bleu": decoding_bleu(model, src_vocab, tgt_vocab, pairs, config.beam)}
    if run_dir is not None and pairs:
        lines = []
        for src, tgt in pairs[:3]:
            ids, _ = decode(model, src_vocab.encode(src, eos=True), config.beam)
            lines.append(f"  {' '.join(src)}  ->  {' '.join(tgt_vocab.decode(ids))}   "
                         f"(reference: {' '.join(tgt)})")
        results["examples"] = "\n".join(lines)
        src, _ = pairs[0]
        ids, att = decode(model, src_vocab.encode(src, eos=True), config.beam)
        save_artifact(run_dir, "attention", {"weights": att, "source": src + ["<eos>"],
                                             "target": tgt_vocab.decode(ids)})
    return results


def load(ckpt):
    """(model, source vocab, target vocab, config) of a translate checkpoint."""
    ckpt = load_checkpoint(ckpt)
    extra = ckpt.extra
    return (load_model(ckpt, model_from_checkpoint), Vocab.from_json(extra["src_vocab"]),
            Vocab.from_json(extra["tgt_vocab"]), Config(**extra["task_config"]))


def translate(ckpt, sentence: str, beam: int | None = None) -> dict:
    """Translate one sentence; returns source tokens, output tokens and attention (out, src)."""
    model, src_vocab, tgt_vocab, config = load(ckpt)
    words = normalize_tutorial(sentence).split()
    if not words:
        raise ValueError("translate: the sentence is empty after normalisation")
    ids, att = decode(model, src_vocab.encode(words, eos=True), beam or config.beam)
    unknown = [w for w in words if w not in src_vocab]
    return {"source": words + ["<eos>"], "output": tgt_vocab.decode(ids), "attention": att,
            "unknown": unknown}
