"""A recurrent sentence classifier (the ``sentiment`` task's lstm / bilstm / gru models).

The padded batch is packed, so every sentence ends at its own length L_n; the classifier reads
the last hidden state of the top layer (both directions for a bidirectional encoder):

    h = LSTM/GRU(Embedding(x))_{L_n};   logits = W · dropout([→h_{L_n}; ←h_1]) + b
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import nn
from ..nn.utils.rnn import pack_padded_sequence
from .registry import load_weights, register


class RNNClassifier(nn.Module):
    """Embedding → (bi)LSTM/GRU over the packed batch → last hidden state(s) → Linear.

    Shape: tokens (N, L) int64, lengths (N,) -> logits (N, num_classes)
    """

    def __init__(self, vocab_size: int, embed_size: int = 128, hidden_size: int = 128,
                 cell: str = "lstm", bidirectional: bool = False, num_classes: int = 2,
                 dropout: float = 0.5, padding_idx: int = 0):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"RNNClassifier: cell must be 'lstm' or 'gru', got {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embed_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, tokens, lengths):
        emb = self.dropout(self.embedding(tokens))                          # (N, L, E)
        packed = pack_padded_sequence(emb, np.asarray(getattr(lengths, "array", lengths)),
                                      batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        h = h[0] if self.cell == "lstm" else h                              # (D, N, H)
        last = F.cat([h[-2], h[-1]], dim=1) if self.rnn.bidirectional else h[-1]
        return self.fc(self.dropout(last))                                  # (N, C)


@register
def rnn_classifier(*, weights=None, **kwargs):
    """Recurrent sentence classifier (keyword arguments of ``RNNClassifier``)."""
    return load_weights(RNNClassifier(**kwargs), weights)


__all__ = ["RNNClassifier", "rnn_classifier"]
