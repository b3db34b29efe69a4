"""Encoder–decoder with attention (seeds 002 and 003; Bahdanau, Cho & Bengio 2014).

Seed 003 ("Encoder-Decoder Sequence-to-Sequence Architectures"): an encoder RNN reads the source
and a decoder RNN writes the target. Seed 002 ("The Attention RNN"): instead of one fixed
context C, the decoder re-reads the encoder features at every step through attention weights α.

    encoder:   e_1..e_S = BiGRU/BiLSTM(Embed(x))                       (N, S, D·H)
    bridge:    s_0 = tanh(W_b [→h_S; ←h_1] + b_b)  (and c_0 likewise for an LSTM)
    step i:    c_i, α_i = attention(s_{i−1}, e, mask)                   (Bahdanau: query s_{i−1})
               s_i = cell([Embed(y_{i−1}); c_i], s_{i−1})
               logits_i = W_o [s_i; c_i; Embed(y_{i−1})] + b_o

Training feeds the gold y_{i−1} with probability ``teacher_forcing_ratio`` per step (else the
model's own argmax). Decoding is greedy or beam search; beam hypotheses are ranked by the
length-normalised log-probability score / |y|^α (or GNMT's ((5 + |y|)/6)^α), and every
decoder returns the attention weights α for plotting.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .. import nn
from ..core.autograd import no_grad
from ..core.random import default_generator
from ..core.tensor import Tensor
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from .registry import load_weights, register


@dataclass
class Seq2SeqConfig:
    """Sizes and options of ``Seq2Seq``.

    The decoder state size is the encoder output size D·hidden_size (D = 2 if bidirectional),
    so dot attention needs no projection.
    """

    src_vocab_size: int = 32
    tgt_vocab_size: int = 32
    embedding_dim: int = 32
    hidden_size: int = 64
    num_layers: int = 1
    cell: str = "gru"  # 'gru' or 'lstm'
    bidirectional: bool = True
    attention: str = "additive"  # 'additive' (Bahdanau), 'dot' or 'general' (Luong)
    dropout: float = 0.0
    pad_idx: int = 0
    bos_idx: int = 1
    eos_idx: int = 2


@dataclass
class Hypothesis:
    """One beam-search result: tokens (without BOS, with EOS if finished), summed log-prob,
    length-normalised score, attention weights (len(tokens), S)."""

    tokens: list
    score: float
    normalized_score: float
    attention: np.ndarray = field(repr=False)


def length_penalty(length, alpha: float = 1.0, kind: str = "power"):
    """|y|^α ('power'; α = 1 is the mean log-prob) or ((5 + |y|)/6)^α ('gnmt', Wu et al. 2016)."""
    length = np.asarray(length, dtype=np.float64)
    if kind == "power":
        return length ** alpha
    if kind == "gnmt":
        return ((5.0 + length) / 6.0) ** alpha
    raise ValueError(f"length_penalty: kind must be 'power' or 'gnmt', got {kind!r}")


class Seq2Seq(nn.Module):
    """Attention encoder–decoder; see the module docstring for the equations.

    Shape:
        src (N, S) int token ids (padded with pad_idx), src_lengths (N,),
        tgt (N, T) int ids starting with BOS -> logits (N, T − 1, tgt_vocab_size),
        attention (N, T − 1, S); logits[:, i] predicts tgt[:, i + 1].
    """

    def __init__(self, config: Seq2SeqConfig | None = None, dtype=None, **kwargs):
        super().__init__()
        cfg = config or Seq2SeqConfig(**kwargs)
        if config is not None and kwargs:
            raise ValueError("Seq2Seq: pass either a config or keyword arguments, not both")
        if cfg.cell not in ("gru", "lstm"):
            raise ValueError(f"Seq2Seq: cell must be 'gru' or 'lstm', got {cfg.cell!r}")
        if cfg.attention not in ("additive", "dot", "general"):
            raise ValueError(f"Seq2Seq: attention must be 'additive', 'dot' or 'general', "
                             f"got {cfg.attention!r}")
        for name in ("pad_idx", "bos_idx", "eos_idx"):
            idx = getattr(cfg, name)
            if not 0 <= idx < min(cfg.src_vocab_size, cfg.tgt_vocab_size):
                raise ValueError(f"Seq2Seq: {name}={idx} is outside the vocabularies")
        self.config = cfg
        E, H = cfg.embedding_dim, cfg.hidden_size
        D = 2 if cfg.bidirectional else 1
        self.enc_size = K = D * H
        self.src_embed = nn.Embedding(cfg.src_vocab_size, E, padding_idx=cfg.pad_idx, dtype=dtype)
        self.tgt_embed = nn.Embedding(cfg.tgt_vocab_size, E, padding_idx=cfg.pad_idx, dtype=dtype)
        rnn_cls = nn.GRU if cfg.cell == "gru" else nn.LSTM
        self.encoder = rnn_cls(E, H, num_layers=cfg.num_layers, batch_first=True,
                               bidirectional=cfg.bidirectional,
                               dropout=cfg.dropout if cfg.num_layers > 1 else 0.0, dtype=dtype)
        self.bridge = nn.Linear(K, K, dtype=dtype)
        if cfg.cell == "lstm":
            self.bridge_c = nn.Linear(K, K, dtype=dtype)
        if cfg.attention == "additive":
            self.attention = nn.AdditiveAttention(K, K, H, dtype=dtype)
        elif cfg.attention == "general":
            self.attention = nn.GeneralAttention(K, K, dtype=dtype)
        else:
            self.attention = nn.DotAttention()
        cell_cls = nn.GRUCell if cfg.cell == "gru" else nn.LSTMCell
        self.decoder = cell_cls(E + K, K, dtype=dtype)
        self.out = nn.Linear(K + K + E, cfg.tgt_vocab_size, dtype=dtype)
        self.dropout = nn.Dropout(cfg.dropout)

    # -- encoder -------------------------------------------------------------------------------
    def _check_src(self, src, src_lengths):
        src = src.array if isinstance(src, Tensor) else np.asarray(src)
        lengths = np.asarray(src_lengths.array if isinstance(src_lengths, Tensor) else src_lengths)
        if src.ndim != 2 or not np.issubdtype(src.dtype, np.integer):
            raise ValueError(f"Seq2Seq: expected src (N, S) integer token ids, got shape "
                             f"{src.shape} dtype {src.dtype}")
        if lengths.shape != (src.shape[0],) or lengths.min() < 1 or lengths.max() > src.shape[1]:
            raise ValueError(f"Seq2Seq: src_lengths must be N = {src.shape[0]} values in "
                             f"[1, {src.shape[1]}], got {lengths.tolist()}")
        return src.astype(np.int64), lengths.astype(np.int64)

    def encode(self, src, src_lengths):
        """-> encoder outputs (N, S, K) (zero past each length), mask (N, S), initial state."""
        src, lengths = self._check_src(src, src_lengths)
        emb = self.dropout(self.src_embed(Tensor(src)))  # (N, S, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, hn = self.encoder(packed)
        enc, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        mask = np.arange(src.shape[1])[None, :] < lengths[:, None]  # True = real token
        if self.config.cell == "lstm":
            hn, cn = hn
        D = 2 if self.config.bidirectional else 1
        last = lambda s: F.cat([s[-2], s[-1]], dim=1) if D == 2 else s[-1]  # noqa: E731
        state = F.tanh(self.bridge(last(hn)))
        if self.config.cell == "lstm":
            state = (state, F.tanh(self.bridge_c(last(cn))))
        return enc, mask, state

    # -- decoder -------------------------------------------------------------------------------
    def _keys_proj(self, enc):
        return self.attention.project_keys(enc) if self.config.attention == "additive" else None

    def decode_step(self, y_prev, state, enc, mask, keys_proj=None):
        """One decoder step for token ids y_prev (B,); returns logits (B, V), state, α (B, S)."""
        s_prev = state[0] if self.config.cell == "lstm" else state
        if self.config.attention == "additive":
            ctx, alpha = self.attention(s_prev, enc, mask=mask, keys_proj=keys_proj)
        else:
            ctx, alpha = self.attention(s_prev, enc, mask=mask)
        emb = self.dropout(self.tgt_embed(Tensor(np.asarray(y_prev, np.int64))))  # (B, E)
        state = self.decoder(F.cat([emb, ctx], dim=1), state)
        s = state[0] if self.config.cell == "lstm" else state
        logits = self.out(self.dropout(F.cat([s, ctx, emb], dim=1)))
        return logits, state, alpha

    def forward(self, src, src_lengths, tgt, teacher_forcing_ratio: float = 1.0,
                generator: np.random.Generator | None = None):
        tgt = np.asarray(tgt.array if isinstance(tgt, Tensor) else tgt)
        if tgt.ndim != 2 or tgt.shape[1] < 2 or tgt.shape[0] != np.shape(src)[0]:
            raise ValueError(f"Seq2Seq: expected tgt (N, T ≥ 2) starting with BOS, with N = "
                             f"{np.shape(src)[0]}, got {tgt.shape}")
        if not 0.0 <= teacher_forcing_ratio <= 1.0:
            raise ValueError(f"Seq2Seq: teacher_forcing_ratio must be in [0, 1], "
                             f"got {teacher_forcing_ratio}")
        rng = generator if generator is not None else default_generator()
        enc, mask, state = self.encode(src, src_lengths)
        kp = self._keys_proj(enc)
        y_prev, logits, alphas = tgt[:, 0], [], []
        for i in range(tgt.shape[1] - 1):
            step_logits, state, alpha = self.decode_step(y_prev, state, enc, mask, kp)
            logits.append(step_logits)
            alphas.append(alpha)
            teacher = teacher_forcing_ratio >= 1.0 or rng.random() < teacher_forcing_ratio
            y_prev = tgt[:, i + 1] if teacher else step_logits.array.argmax(-1)
        return F.stack(logits, 1), F.stack(alphas, 1)

    def loss(self, logits, tgt):
        """Token-level cross-entropy against tgt[:, 1:], padding ignored."""
        tgt = np.asarray(tgt.array if isinstance(tgt, Tensor) else tgt)
        V = logits.shape[-1]
        return F.cross_entropy(logits.reshape(-1, V), Tensor(tgt[:, 1:].reshape(-1)),
                               ignore_index=self.config.pad_idx)

    @no_grad()
    def greedy_decode(self, src, src_lengths, max_len: int = 50):
        """Argmax decoding of a batch.

        Returns:
            tokens (N, L) int (EOS included, pad_idx after it), log-prob score (N,) summed over
            the emitted tokens, attention (N, L, S).
        """
        cfg = self.config
        enc, mask, state = self.encode(src, src_lengths)
        kp = self._keys_proj(enc)
        N = enc.shape[0]
        y_prev = np.full(N, cfg.bos_idx)
        done = np.zeros(N, bool)
        score = np.zeros(N)
        toks, alphas = [], []
        for _ in range(max_len):
            logits, state, alpha = self.decode_step(y_prev, state, enc, mask, kp)
            logp = F.log_softmax(logits, -1).array
            y = logp.argmax(-1)
            score += np.where(done, 0.0, logp[np.arange(N), y])
            toks.append(np.where(done, cfg.pad_idx, y))
            alphas.append(np.where(done[:, None], 0.0, alpha.array))
            done |= y == cfg.eos_idx
            y_prev = y
            if done.all():
                break
        return np.stack(toks, 1), score, np.stack(alphas, 1)

    @no_grad()
    def beam_search(self, src, src_lengths, beam_size: int = 4, max_len: int = 50,
                    alpha: float = 1.0, penalty: str = "power"):
        """Beam search per source sentence.

        At every step the 2·beam best extensions of the live beams are scanned in score order:
        an EOS extension ranked within the top ``beam_size`` finishes a hypothesis, the others
        refill the beam. Search stops when ``beam_size`` hypotheses are finished (or at
        ``max_len``, when live beams are finished as they are).

        Returns:
            for each sentence, a list of ``Hypothesis`` sorted by normalized_score (best first),
            normalized_score = score / length_penalty(len(tokens), alpha, penalty).
        """
        if not isinstance(beam_size, (int, np.integer)) or beam_size < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam_size must be a positive int, "
                             f"got {beam_size!r}")
        length_penalty(1, alpha, penalty)  # validates penalty
        cfg = self.config
        src, lengths = self._check_src(src, src_lengths)
        results = []
        for n in range(src.shape[0]):
            enc, mask, state = self.encode(src[n:n + 1], lengths[n:n + 1])
            results.append(self._beam_one(enc, mask, state, beam_size, max_len, alpha, penalty))
        return results

    def _beam_one(self, enc, mask, state, B, max_len, alpha, penalty):
        cfg = self.config
        kp = self._keys_proj(enc)
        tokens = [[]]
        scores = np.zeros(1)
        attn = [np.zeros((0, enc.shape[1]))]
        finished = []

        def select(s, idx):
            return tuple(x[idx] for x in s) if isinstance(s, tuple) else s[idx]

        for step in range(max_len):
            rows = np.zeros(len(tokens), np.int64)  # every live beam reads the one sentence
            e, m = enc[rows], mask[rows]
            kpk = kp[rows] if kp is not None else None
            y_prev = [t[-1] if t else cfg.bos_idx for t in tokens]
            logits, new_state, alpha_w = self.decode_step(y_prev, state, e, m, kpk)
            logp = F.log_softmax(logits, -1).array  # (k, V)
            cand = (scores[:, None] + logp).reshape(-1)
            order = np.argsort(-cand, kind="stable")[: 2 * B]
            keep_beam, keep_tok = [], []
            for rank, flat in enumerate(order):
                b, tok = divmod(int(flat), logp.shape[1])
                if tok == cfg.eos_idx:
                    if rank < B:
                        toks = tokens[b] + [tok]
                        finished.append(Hypothesis(
                            toks, float(cand[flat]),
                            float(cand[flat] / length_penalty(len(toks), alpha, penalty)),
                            np.concatenate([attn[b], alpha_w.array[b:b + 1]])))
                    continue
                if len(keep_beam) < B:
                    keep_beam.append(b)
                    keep_tok.append(tok)
            if len(finished) >= B or not keep_beam:
                break
            idx = np.array(keep_beam)
            attn = [np.concatenate([attn[b], alpha_w.array[b:b + 1]]) for b in keep_beam]
            tokens = [tokens[b] + [t] for b, t in zip(keep_beam, keep_tok)]
            scores = cand[idx * logp.shape[1] + np.array(keep_tok)]
            state = select(new_state, idx)
        else:  # max_len reached: the live beams end unfinished
            for t, s, a in zip(tokens, scores, attn):
                finished.append(Hypothesis(t, float(s),
                                           float(s / length_penalty(len(t), alpha, penalty)), a))
        finished.sort(key=lambda h: -h.normalized_score)
        return finished[:B]

    def extra_repr(self) -> str:
        c = self.config
        return (f"cell={c.cell!r}, attention={c.attention!r}, bidirectional={c.bidirectional}, "
                f"hidden_size={c.hidden_size}")


@register
def seq2seq(*, weights=None, **kwargs):
    """Attention encoder–decoder (bidirectional GRU encoder, additive attention by default)."""
    return load_weights(Seq2Seq(Seq2SeqConfig(**kwargs)), weights)


__all__ = ["Hypothesis", "Seq2Seq", "Seq2SeqConfig", "length_penalty", "seq2seq"]
