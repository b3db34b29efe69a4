"""Sequence taggers: a character-CNN word encoder and a BiLSTM tagger (the ``pos`` task).

Each token gets the logits of its tag from both directions of the sentence (Graves &
Schmidhuber 2005); the word vector is the word embedding, optionally concatenated with a vector
computed from the word's spelling by a char-CNN (Ma & Hovy 2016; Plank et al. 2016):

    x_i = [E_w[w_i] ‖ CharCNN(c_i1..c_in)];   (→h_i, ←h_i) = BiLSTM(x_1..x_L)_i;
    y_i = W [→h_i; ←h_i] + b                   (the logits of token i's tag)
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import nn
from ..core import Tensor
from ..core.random import default_generator
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from .registry import load_weights, register


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
        ids = np.asarray(getattr(chars, "array", chars))
        if ids.ndim < 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{type(self).__name__}: expected integer char ids (*, W), "
                             f"got {ids.dtype} {ids.shape}")
        real = (ids != self.padding_idx if mask is None
                else np.asarray(getattr(mask, "array", mask)))
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
        packed = pack_padded_sequence(emb, np.asarray(getattr(lengths, "array", lengths)),
                                      batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # (N, L, 2H)
        return self.fc(self.dropout(out))                                 # (N, L, T)


@register
def bilstm_tagger(*, weights=None, **kwargs):
    """BiLSTM tagger with an optional char-CNN (keyword arguments of ``BiLSTMTagger``)."""
    return load_weights(BiLSTMTagger(**kwargs), weights)


__all__ = ["BiLSTMTagger", "CharCNN", "bilstm_tagger"]
