"""A recurrent language model: the classic one of Zaremba et al. 2014 / PyTorch's
word_language_model example (the ``charlm``, ``wordlm`` and ``poetry`` tasks and the demo).

    e_t = Embedding(x_t);  h_t = RNN/LSTM/GRU(e_t, h_{t-1});  logits_t = W_o · dropout(h_t) + b_o

With ``tie_weights`` the output matrix is the embedding matrix, W_o = E (Press & Wolf 2017).
"""
from __future__ import annotations

from .. import nn
from .registry import load_weights, register

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNLanguageModel(nn.Module):
    """Embedding → multi-layer RNN/LSTM/GRU → dropout → Linear over the vocabulary.

    Args:
        vocab_size: V.
        embed_size: E.
        hidden_size: H.
        num_layers: stacked recurrent layers.
        cell: "rnn" (tanh), "lstm" or "gru".
        dropout: on the embeddings, between layers and before the output layer.
        tie_weights: share the embedding and output matrices (needs E == H; Press & Wolf 2017).

    Shape: x (T, N) int64 -> logits (T, N, V); hidden as the recurrent layer's.
    """

    def __init__(self, vocab_size: int, embed_size: int = 64, hidden_size: int = 128,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                 tie_weights: bool = False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"RNNLanguageModel: cell must be one of {sorted(CELLS)}, got {cell!r}")
        if tie_weights and embed_size != hidden_size:
            raise ValueError(f"RNNLanguageModel: tie_weights needs embed_size == hidden_size, "
                             f"got {embed_size} and {hidden_size}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = CELLS[cell](embed_size, hidden_size, num_layers,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    def forward(self, x, hidden=None):
        emb = self.drop(self.embedding(x))                      # (T, N, E)
        out, hidden = self.rnn(emb, hidden)                     # (T, N, H)
        return self.decoder(self.drop(out)), hidden             # (T, N, V)


@register
def rnn_lm(*, weights=None, **kwargs):
    """Recurrent language model (keyword arguments of ``RNNLanguageModel``)."""
    return load_weights(RNNLanguageModel(**kwargs), weights)


__all__ = ["CELLS", "RNNLanguageModel", "rnn_lm"]
