"""pos: part-of-speech tagging of UD English-EWT (r2.13) with a BiLSTM tagger.

Words and their universal POS tags (17 UPOS tags) from the CoNLL-U files, skipping multiword
tokens and empty nodes: 12,544 / 2,001 / 2,077 sentences for train / dev / test. The tagger
reads the whole sentence in both directions (Graves & Schmidhuber 2005; a BiLSTM with word
embeddings typically reaches about 93–95% token accuracy; UDPipe 1.2: 94.4%). Padded positions
carry the target -100 and are ignored by the loss and by the token accuracy.

Every word is also read character by character (Ma & Hovy 2016; Plank et al. 2016): a char-CNN
turns the spelling of the original word (case kept) into a vector that is concatenated to the
word embedding, so capitalisation, digits and suffixes are visible even when the word itself is
``<unk>``. ``--char-embed-size 0`` switches it off and gives the word-only tagger.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import functional as F
from ... import nn
from ...core import Tensor
from ...core.random import default_generator
from ...data import DataLoader, Vocab, pad_collate
from ...data.datasets import UPOS_TAGS, load_ud_ewt
from ...functional.loss import cross_entropy
from ...nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ..logging import save_artifact
from ..metrics import Accuracy, MacroF1
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig, limit_count

DESCRIPTION = "UPOS tagging of UD English-EWT with a BiLSTM tagger"
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
        if self.char_filters < 1:
            raise ValueError(f"--char-filters must be >= 1, got {self.char_filters}")
        for name in ("dropout", "word_dropout"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1), got {v}")


class CharCNN(nn.Module):
    """Character-level word encoder (Ma & Hovy 2016): embed → dropout → conv1d → max over chars.

    For a word with characters c_1..c_n (n ≤ W, the rest padding):

        e_j = E[c_j] on real characters, 0 on padded ones           (E: num_chars × embed_size)
        h_{f,j} = b_f + Σ_{k=-1..1} w_{f,:,k} · e_{j+k}             (width 3, zero padding 1)
        v_f = max_{j ≤ n} h_{f,j}

    Padded positions are zeroed before the convolution and set to −1e9 before the max, so
    neither their ids nor the padded width W changes a word's vector. The distinct spellings
    of the input go through one conv1d call and are gathered back to every occurrence, so in
    training the dropout mask on the character embeddings is drawn once per distinct word of
    the batch (per occurrence in Ma & Hovy). A word without any real character (a padded
    sentence position) gets the zero vector.

    Args:
        num_chars: size of the character vocabulary (``padding_idx`` included).
        embed_size: character embedding size.
        num_filters: convolution filters = output size.
        kernel_size: filter width (odd; padded by kernel_size // 2 on each side).
        dropout: dropout on the character embeddings during training.
        padding_idx: the padding character id (its embedding row is zero).

    Shape: chars (*, W) int64 [, mask (*, W) bool, True on real characters; default
        chars != padding_idx] -> (*, num_filters)
    """

    NEG = -1e9  # "minus infinity" for the max that stays finite in float32

    def __init__(self, num_chars: int, embed_size: int = 30, num_filters: int = 50,
                 kernel_size: int = 3, dropout: float = 0.0, padding_idx: int = 0):
        super().__init__()
        if num_chars < 2 or embed_size < 1 or num_filters < 1:
            raise ValueError(f"CharCNN: expected num_chars >= 2, embed_size >= 1 and "
                             f"num_filters >= 1, got {num_chars}, {embed_size}, {num_filters}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"CharCNN: kernel_size must be odd (same-length output), "
                             f"got {kernel_size}")
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(num_chars, embed_size, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        self.conv = nn.Conv1d(embed_size, num_filters, kernel_size, padding=kernel_size // 2)

    def forward(self, chars, mask=None):
        ids = np.asarray(getattr(chars, "data", chars))
        if ids.ndim < 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{type(self).__name__}: expected integer char ids (*, W), "
                             f"got {ids.dtype} {ids.shape}")
        real = (ids != self.padding_idx if mask is None
                else np.asarray(getattr(mask, "data", mask)))
        if real.shape != ids.shape or real.dtype != np.bool_:
            raise ValueError(f"{type(self).__name__}: expected a bool mask of shape {ids.shape}, "
                             f"got {real.dtype} {real.shape}")
        lead, W = ids.shape[:-1], ids.shape[-1]
        flat, real = ids.reshape(-1, W), real.reshape(-1, W)                 # (M, W) ×2
        # a batch repeats its words ("the", ",", padding): encode each spelling once (U ≪ M)
        # and gather the vectors back; the gather's backward sums over the repeats
        _, first, inverse = np.unique(np.where(real, flat, -1), axis=0, return_index=True,
                                      return_inverse=True)
        flat, real = flat[first], real[first]                               # (U, W) ×2
        emb = self.dropout(self.embedding(Tensor(flat)))                    # (U, W, E)
        emb = emb.masked_fill(~real[:, :, None], 0.0)
        h = self.conv(emb.permute(0, 2, 1))                                 # (U, F, W)
        h = h.masked_fill(~real[:, None, :], self.NEG)
        v = F.amax(h, dim=2)                                                # (U, F)
        v = v.masked_fill(~real.any(axis=1)[:, None], 0.0)
        v = F.embedding(inverse.reshape(-1), v)                             # (M, F)
        return v.reshape(*lead, v.shape[-1])                                # (*, F)


class BiLSTMTagger(nn.Module):
    """[word embedding ‖ char-CNN word vector] → bidirectional LSTM (packed) → Linear per token.

    With ``char_vocab_size`` or ``char_embed_size`` 0 it is the word-only tagger (the same
    parameter names as before the char encoder existed). ``word_dropout`` replaces, in training
    mode only, each real word id by ``unk_idx`` with that probability (library RNG).

    Shape: tokens (N, L) int64, lengths (N,) [, chars (N, L, W) int64] -> logits (N, L, num_tags)
    """

    def __init__(self, vocab_size: int, num_tags: int, embed_size: int = 100,
                 hidden_size: int = 128, num_layers: int = 1, dropout: float = 0.3,
                 padding_idx: int = 0, char_vocab_size: int = 0, char_embed_size: int = 0,
                 char_filters: int = 50, word_dropout: float = 0.0, unk_idx: int = 1):
        super().__init__()
        if not 0.0 <= word_dropout < 1.0:
            raise ValueError(f"BiLSTMTagger: word_dropout must be in [0, 1), got {word_dropout}")
        self.padding_idx, self.unk_idx, self.word_dropout = padding_idx, unk_idx, word_dropout
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        use_chars = char_vocab_size > 0 and char_embed_size > 0
        self.char_cnn = (CharCNN(char_vocab_size, char_embed_size, char_filters, 3, dropout)
                         if use_chars else None)
        in_size = embed_size + (char_filters if use_chars else 0)
        self.lstm = nn.LSTM(in_size, hidden_size, num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, tokens, lengths, chars=None):
        L = tokens.shape[1]
        if self.training and self.word_dropout > 0:
            ids = tokens.array
            drop = (default_generator().random(ids.shape) < self.word_dropout) & (
                ids != self.padding_idx)
            tokens = Tensor(np.where(drop, self.unk_idx, ids))
        emb = self.embedding(tokens)                                       # (N, L, E)
        if self.char_cnn is not None:
            if chars is None or chars.shape[:2] != tokens.shape:
                raise ValueError(f"{type(self).__name__}: the char encoder needs chars "
                                 f"({tokens.shape[0]}, {L}, W), got "
                                 f"{None if chars is None else chars.shape}")
            emb = F.cat([emb, self.char_cnn(chars)], dim=-1)               # (N, L, E + C)
        emb = self.dropout(emb)
        packed = pack_padded_sequence(emb, np.asarray(getattr(lengths, "data", lengths)),
                                      batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # (N, L, 2H)
        return self.fc(self.dropout(out))                                 # (N, L, T)


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
    return (train[:limit_count(len(train), config.limit)],
            dev[:limit_count(len(dev), config.limit, 0.2)],
            test[:limit_count(len(test), config.limit, 0.2)])


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
