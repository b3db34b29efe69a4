"""TextCNN (Kim 2014, "Convolutional Neural Networks for Sentence Classification").

Seed 000, section 5.1.6: an n-gram feature is a convolution over word vectors. A sentence of L
words is an L × d matrix of embeddings; a filter of width h spans h whole words (kernel h × d),
giving one feature per h-gram, c_i = relu(w · x_{i:i+h-1} + b); max-over-time pooling keeps the
strongest, ĉ = max_i c_i, so any sentence length maps to one value per filter.

Kim's settings: filter widths 3, 4, 5 with 100 maps each, ReLU, max-over-time pooling, dropout
0.5 on the 300 pooled features, an l2 max-norm constraint s = 3 on the output weights
(``max_norm_``, applied after each optimiser step), and four embedding modes:

    "rand"          random word vectors (U(-0.25, 0.25)), trained
    "static"        pretrained vectors, frozen
    "non-static"    pretrained vectors, fine-tuned
    "multichannel"  two channels, one frozen and one fine-tuned copy of the pretrained vectors;
                    each filter spans both channels and the results are added

Filters are ``Conv2d(channels, 100, (h, d))`` over the (N, channels, L, d) stack, so the two
channels of "multichannel" have their own filter weights (as in common PyTorch ports).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from ..core.random import default_generator
from .registry import load_weights, register

MODES = ("rand", "static", "non-static", "multichannel")


def max_norm_(weight, max_norm: float = 3.0, dim: int = 1):
    """Rescale, in place, every slice of ``weight`` whose l2 norm over ``dim`` exceeds max_norm.

    Kim 2014: "rescaling w to have ||w||₂ = s whenever ||w||₂ > s after a gradient descent step".
    With the default ``dim=1`` each row of a Linear weight (one class's weight vector) is
    constrained. Returns the tensor. Not recorded by autograd.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm_: max_norm must be > 0, got {max_norm}")
    w = weight.array
    norms = np.sqrt((w.astype(np.float64) ** 2).sum(axis=dim, keepdims=True))
    scale = np.where(norms > max_norm, max_norm / np.maximum(norms, 1e-12), 1.0)
    w *= scale.astype(w.dtype)
    return weight


@dataclass
class TextCNNConfig:
    vocab_size: int = 20000
    embedding_dim: int = 300
    num_classes: int = 2
    filter_sizes: tuple = (3, 4, 5)
    num_filters: int = 100
    dropout: float = 0.5
    mode: str = "rand"
    padding_idx: int | None = 0
    max_norm: float = 3.0
    wide: bool = False  # wide convolution: h − 1 zero words at both ends (Kim's code pads so)


class TextCNN(nn.Module):
    """Embedding -> parallel convs of widths h × d -> ReLU -> max over time -> dropout -> fc.

    Args:
        config: ``TextCNNConfig``.
        pretrained: (vocab_size, embedding_dim) word vectors for the static, non-static and
            multichannel modes (e.g. word2vec); if None these modes start from random vectors.

    Shape: (N, L) int64 token ids, L >= max(filter_sizes) -> (N, num_classes) logits
    """

    def __init__(self, config: TextCNNConfig | None = None, pretrained=None, **kwargs):
        super().__init__()
        cfg = config or TextCNNConfig(**kwargs)
        if cfg.mode not in MODES:
            raise ValueError(f"TextCNN: mode must be one of {MODES}, got {cfg.mode!r}")
        if not cfg.filter_sizes or min(cfg.filter_sizes) < 1:
            raise ValueError(f"TextCNN: filter_sizes must be positive, got {cfg.filter_sizes}")
        self.config = cfg
        v, d = cfg.vocab_size, cfg.embedding_dim
        if pretrained is None:
            vectors = default_generator().uniform(-0.25, 0.25, (v, d)).astype(np.float32)
            if cfg.padding_idx is not None:
                vectors[cfg.padding_idx] = 0
        else:
            vectors = np.asarray(getattr(pretrained, "array", pretrained), dtype=np.float32)
            if vectors.shape != (v, d):
                raise ValueError(f"TextCNN: pretrained must be ({v}, {d}), got {vectors.shape}")
        frozen = cfg.mode == "static"
        self.embedding = nn.Embedding.from_pretrained(vectors.copy(), freeze=frozen,
                                                      padding_idx=cfg.padding_idx)
        channels = 1
        if cfg.mode == "multichannel":
            self.embedding_static = nn.Embedding.from_pretrained(
                vectors.copy(), freeze=True, padding_idx=cfg.padding_idx)
            channels = 2
        # narrow: L − h + 1 windows per sentence; wide: L + h − 1, so the first and last words
        # are seen by as many windows as the middle ones (seed 000's "wide" convolution)
        self.convs = nn.ModuleList([nn.Conv2d(channels, cfg.num_filters, (h, d),
                                              padding=(h - 1 if cfg.wide else 0, 0))
                                    for h in cfg.filter_sizes])
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.num_filters * len(cfg.filter_sizes), cfg.num_classes)

    def forward(self, tokens):
        longest = 1 if self.config.wide else max(self.config.filter_sizes)
        if tokens.ndim != 2 or tokens.shape[1] < longest:
            raise ValueError(f"TextCNN: expected token ids (N, L) with L >= {longest}, got "
                             f"shape {tokens.shape}")
        x = self.embedding(tokens).unsqueeze(1)  # (N, 1, L, d)
        if self.config.mode == "multichannel":
            x = F.cat([x, self.embedding_static(tokens).unsqueeze(1)], 1)  # (N, 2, L, d)
        pooled = [F.amax(F.relu(conv(x)).squeeze(3), dim=2)  # (N, maps): max over time
                  for conv in self.convs]
        return self.fc(self.dropout(F.cat(pooled, 1)))  # (N, num_classes)

    def max_norm_(self):
        """Apply Kim's max-norm constraint (s = config.max_norm) to the output weights."""
        return max_norm_(self.fc.weight, self.config.max_norm)


@register
def textcnn(*, weights=None, pretrained=None, **kwargs):
    """Kim's CNN for sentence classification (widths 3/4/5 × 100 maps, dropout 0.5)."""
    return load_weights(TextCNN(TextCNNConfig(**kwargs), pretrained=pretrained), weights)
