"""pos: part-of-speech tagging of UD English-EWT (r2.13) with a BiLSTM tagger.

Words and their universal POS tags (17 UPOS tags) from the CoNLL-U files, skipping multiword
tokens and empty nodes: 12,544 / 2,001 / 2,077 sentences for train / dev / test. The tagger
reads the whole sentence in both directions (Graves & Schmidhuber 2005; a BiLSTM with word
embeddings typically reaches about 93–95% token accuracy; UDPipe 1.2: 94.4%). Padded positions
carry the target -100 and are ignored by the loss and by the token accuracy.

Every word is also read character by character (Ma & Hovy 2016; Plank et al. 2016): a char-CNN
(``models.tagger``) turns the spelling of the original word (case kept) into a vector that is
concatenated to the word embedding, so capitalisation, digits and suffixes are visible even when
the word itself is ``<unk>``. ``--char-embed-size 0`` switches it off and gives the word-only
tagger.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...core import Tensor
from ...data import DataLoader, Vocab, pad_collate
from ...data.datasets import UPOS_TAGS, load_ud_ewt
from ...functional.loss import cross_entropy
from ...models.tagger import BiLSTMTagger
from ..logging import save_artifact
from ..metrics import Accuracy, MacroF1
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig, limit_splits

DESCRIPTION = "UPOS tagging of UD English-EWT with a BiLSTM tagger"
ENSEMBLE = True  # the model outputs class logits: `gradwise eval` accepts several runs
IGNORE = -100
MAX_WORD_CHARS = 20       # longer words keep their first and last MAX_WORD_CHARS // 2 characters
CHAR_SPECIALS = ("<pad>", "<unk>")


@dataclasses.dataclass
class Config(TaskConfig):
    embed_size: int = 100
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.3
    min_freq: int = 2
    batch_size: int = 32
    char_embed_size: int = 30       # character embedding size; 0 = word-only tagger
    char_filters: int = 50          # char-CNN filters (width 3) = size of the char word vector
    word_dropout: float = 0.0       # training: replace a word id by <unk> with this probability

    def validate(self) -> None:
        super().validate()
        if self.char_embed_size < 0:
            raise ValueError(f"--char-embed-size must be >= 0 (0 disables the char encoder), "
                             f"got {self.char_embed_size}")
        self.check_at_least(1, "char_filters")
        for name in ("dropout", "word_dropout"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1), got {v}")


def _step(model, batch, training):
    tokens, lengths, _, tags = batch[:4]                                  # (N, L) ×2
    chars = batch[4] if len(batch) > 4 else None                          # (N, L, W)
    logits = model(tokens, lengths, chars)                                # (N, L, T)
    loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1),
                         ignore_index=IGNORE)
    return StepOutput(loss, int((tags.array != IGNORE).sum()), logits, tags)


def _splits(config: Config):
    train = load_ud_ewt("train", root=config.data_root)
    dev = load_ud_ewt("dev", root=config.data_root)
    test = load_ud_ewt("test", root=config.data_root)
    return limit_splits(config.limit, train, dev, test)


def _clip_word(word: str) -> str:
    """A word of at most MAX_WORD_CHARS characters: the head and the tail of longer words."""
    if len(word) <= MAX_WORD_CHARS:
        return word
    half = MAX_WORD_CHARS // 2
    return word[:half] + word[-(MAX_WORD_CHARS - half):]


def build_char_vocab(sentences) -> Vocab:
    """The characters of the training words (min freq 1), after ``<pad>`` = 0 and ``<unk>``."""
    return Vocab.build((list(w) for words, _ in sentences for w in words),
                       specials=CHAR_SPECIALS)


def char_ids(chars: Vocab, words) -> np.ndarray:
    """Character ids of one sentence, padded with 0 to its longest (clipped) word.

    Shape: L words -> (L, W) int64, W = min(longest word, MAX_WORD_CHARS)
    """
    spelled = [chars.encode(_clip_word(w)) for w in words]
    out = np.zeros((len(words), max([len(s) for s in spelled] + [1])), np.int64)  # (L, W)
    for i, s in enumerate(spelled):
        out[i, :len(s)] = s
    return out


def _encode(vocab: Vocab, tag_index: dict, sentences, chars: Vocab | None = None):
    samples = []
    for words, tags in sentences:
        sample = (np.asarray(vocab.encode(words), np.int64),
                  np.asarray([tag_index[t] for t in tags], np.int64))
        samples.append(sample if chars is None else sample + (char_ids(chars, words),))
    return samples


def collate(batch):
    """pad_collate of (word ids, tag ids) samples; with a third field, the padded char ids.

    Returns: (tokens (N, L), lengths (N,), mask (N, L), tags (N, L)[, chars (N, L, W)]),
        chars 0-padded in both the word and the character axes.
    """
    out = pad_collate([b[:2] for b in batch], pad_value=(0, IGNORE))
    if len(batch[0]) < 3:
        return out
    L = out[0].shape[1]
    W = max(b[2].shape[1] for b in batch)
    chars = np.zeros((len(batch), L, W), np.int64)                        # (N, L, W)
    for i, b in enumerate(batch):
        chars[i, :b[2].shape[0], :b[2].shape[1]] = b[2]
    return out + (Tensor(chars),)


def _loader(samples, batch_size, shuffle=False):
    return DataLoader(samples, batch_size=batch_size, shuffle=shuffle, collate_fn=collate)


def test(model, config: Config, run_dir, extra) -> dict:
    """Token accuracy and macro F1 over real tokens, and the accuracy on <unk> words."""
    vocab = Vocab.from_json(extra["vocab"])
    chars = Vocab.from_json(extra["chars"]) if "chars" in extra else None
    _, _, test_split = _splits(config)
    tag_index = {t: i for i, t in enumerate(UPOS_TAGS)}
    confusion = MacroF1(len(UPOS_TAGS))
    acc = Accuracy(ignore_index=IGNORE)
    loader = _loader(_encode(vocab, tag_index, test_split, chars), 100)
    results = evaluate_model(model, loader, _step, [acc])
    # the confusion matrix over real tokens only; accuracy on out-of-vocabulary words apart
    oov_total = oov_correct = 0
    for batch in loader:
        out = _step(model, batch, False)
        keep = out.targets.array != IGNORE
        pred = out.outputs.array.argmax(-1)
        confusion.update(pred[keep], out.targets.array[keep])
        oov = keep & (batch[0].array == vocab.unk_index)
        oov_total += int(oov.sum())
        oov_correct += int((pred[oov] == out.targets.array[oov]).sum())
    if run_dir is not None:
        save_artifact(run_dir, "confusion", {"matrix": confusion.matrix,
                                             "labels": list(UPOS_TAGS)})
    return {"test_loss": results["loss"], "test_acc": results["acc"],
            "test_macro_f1": confusion.compute(),
            "test_oov_fraction": oov_total / max(confusion.matrix.sum(), 1),
            "test_oov_acc": oov_correct / oov_total if oov_total else float("nan")}


def build(config: Config) -> Parts:
    train, dev, test_split = _splits(config)
    vocab = Vocab.build([w for w, _ in train], min_freq=config.min_freq,
                        specials=("<pad>", "<unk>"))
    chars = build_char_vocab(train) if config.char_embed_size > 0 else None
    tag_index = {t: i for i, t in enumerate(UPOS_TAGS)}
    model_config = dict(vocab_size=len(vocab), num_tags=len(UPOS_TAGS),
                        embed_size=config.embed_size, hidden_size=config.hidden_size,
                        num_layers=config.num_layers, dropout=config.dropout)
    extra = {"vocab": vocab.to_json()}
    if chars is not None:
        model_config.update(char_vocab_size=len(chars), char_embed_size=config.char_embed_size,
                            char_filters=config.char_filters)
        extra["chars"] = chars.to_json()
    if config.word_dropout > 0:
        model_config.update(word_dropout=config.word_dropout, unk_idx=vocab.unk_index)
    return Parts(BiLSTMTagger(**model_config), "bilstm-tagger", model_config,
                 _loader(_encode(vocab, tag_index, train, chars), config.batch_size,
                         shuffle=True),
                 _step, _loader(_encode(vocab, tag_index, dev, chars), 100),
                 metrics=[Accuracy(ignore_index=IGNORE)], monitor="val_acc", mode="max",
                 extra=extra,
                 summary=f"UD English-EWT {len(train)} / {len(dev)} / {len(test_split)} "
                         f"sentences, vocabulary {len(vocab):,}"
                         + (f", {len(chars)} characters" if chars is not None else "")
                         + f", {len(UPOS_TAGS)} tags")


def model_from_checkpoint(ckpt):
    return BiLSTMTagger(**ckpt.model_config)
