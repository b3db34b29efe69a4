"""Image captioning: Show and Tell (Vinyals et al. 2015) and Show, Attend and Tell (Xu et al.
2015), seed 002 "Image captioning" and "Image captioning with attention".

    encoder:    a_1..a_L = CNN(image)                 L×D feature grid (a 64×64 image -> 8×8×D)
    init:       h_0, c_0 = tanh(W_h ā), tanh(W_c ā)   ā = mean_i a_i
    attention:  e_ti = w · tanh(W_a a_i + U_a h_{t−1})    α_t = softmax_i(e_t)
                z_t = Σ_i α_ti a_i                     (soft attention: the expected feature)
    gate:       z_t ← σ(w_β · h_{t−1} + b_β) z_t        (optional; Xu et al. §4.2.1, "gating scalar")
    step:       h_t, c_t = LSTM([E y_{t−1}; z_t], (h_{t−1}, c_{t−1}))
                p(y_t) = softmax(W_o [h_t; z_t])

Without attention (``attention=False``, Show and Tell) the image enters only through h_0, c_0
and the step reads E y_{t−1} alone. Training adds the doubly stochastic penalty
λ Σ_i (1 − Σ_t α_ti)², which asks every grid cell to receive about one unit of attention over
the caption, so that the model looks at every part of the image once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from ..core.autograd import no_grad
from ..core.tensor import Tensor
from .registry import load_weights, register


@dataclass
class CaptionerConfig:
    """Sizes of ``Captioner``; ``attention=False`` gives the Show-and-Tell baseline."""

    vocab_size: int = 24
    channels: tuple = (16, 32, 64)  # encoder conv widths; each halves the grid
    embedding_dim: int = 32
    hidden_size: int = 128
    attention_size: int = 64
    attention: bool = True
    context_gate: bool = False  # Xu et al.'s gating scalar β_t on the context (attention only)
    in_channels: int = 1
    pad_idx: int = 0
    bos_idx: int = 2
    eos_idx: int = 3


def doubly_stochastic_penalty(alphas, mask=None):
    """Σ_i (1 − Σ_t α_ti)², averaged over the batch.

    Args:
        alphas: attention weights (N, T, L); mask: optional (N, T) of 1 for real steps, 0 for
            padding (padded steps add no attention).
    """
    if mask is not None:
        alphas = alphas * Tensor(np.asarray(mask, alphas.dtype)[:, :, None])
    total = alphas.sum(1)  # (N, L): attention each cell got over the caption
    return ((1.0 - total) ** 2).sum(1).mean()


class Captioner(nn.Module):
    """CNN encoder + LSTM decoder, with or without soft attention (module docstring).

    Shape: images (N, C, H, W); captions (N, T) int ids starting with BOS ->
    logits (N, T − 1, V) and attention (N, T − 1, L) (None without attention);
    logits[:, t] predicts captions[:, t + 1].
    """

    def __init__(self, config: CaptionerConfig | None = None, dtype=None, **kwargs):
        super().__init__()
        if config is not None and kwargs:
            raise ValueError("Captioner: pass either a config or keyword arguments, not both")
        cfg = config or CaptionerConfig(**kwargs)
        for name in ("pad_idx", "bos_idx", "eos_idx"):
            if not 0 <= getattr(cfg, name) < cfg.vocab_size:
                raise ValueError(f"Captioner: {name}={getattr(cfg, name)} is outside the "
                                 f"vocabulary of size {cfg.vocab_size}")
        if cfg.context_gate and not cfg.attention:
            raise ValueError("Captioner: context_gate=True gates the attention context, so it "
                             "needs attention=True")
        self.config = cfg
        layers, c_in = [], cfg.in_channels
        for c in cfg.channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        self.encoder = nn.Sequential(*layers)
        D, E, H, A = c_in, cfg.embedding_dim, cfg.hidden_size, cfg.attention_size
        self.feature_size = D
        self.init_h = nn.Linear(D, H, dtype=dtype)
        self.init_c = nn.Linear(D, H, dtype=dtype)
        self.embed = nn.Embedding(cfg.vocab_size, E, padding_idx=cfg.pad_idx, dtype=dtype)
        if cfg.attention:
            self.att_feature = nn.Linear(D, A, dtype=dtype)            # W_a
            self.att_hidden = nn.Linear(H, A, bias=False, dtype=dtype)  # U_a
            self.att_score = nn.Linear(A, 1, bias=False, dtype=dtype)   # w
            if cfg.context_gate:
                self.att_gate = nn.Linear(H, 1, dtype=dtype)            # w_β, b_β
        self.cell = nn.LSTMCell(E + (D if cfg.attention else 0), H, dtype=dtype)
        self.out = nn.Linear(H + (D if cfg.attention else 0), cfg.vocab_size, dtype=dtype)

    # -- pieces ------------------------------------------------------------------------------
    def encode(self, images):
        """images (N, C, H, W) -> feature grid (N, L, D)."""
        grid = self.encoder(images)                       # (N, D, h, w)
        n, d = grid.shape[:2]
        return grid.reshape(n, d, -1).permute(0, 2, 1)    # (N, L, D)

    def init_state(self, features):
        mean = features.mean(1)
        return self.init_h(mean).tanh(), self.init_c(mean).tanh()

    def attend(self, features, keys, h):
        """-> context z (N, D), weights α (N, L); keys = W_a a, precomputed once per image."""
        scores = self.att_score((keys + self.att_hidden(h).unsqueeze(1)).tanh()).squeeze(2)
        alpha = F.softmax(scores, -1)                               # (N, L)
        context = (alpha.unsqueeze(2) * features).sum(1)           # (N, D)
        if self.config.context_gate:
            context = context * self.att_gate(h).sigmoid()          # β_t z_t
        return context, alpha

    def step(self, token_ids, state, features, keys):
        """One decoder step: previous tokens (N,) -> logits (N, V), new state, α (N, L) or None."""
        x = self.embed(Tensor(np.asarray(token_ids)))
        alpha = None
        if self.config.attention:
            context, alpha = self.attend(features, keys, state[0])
            x = F.cat([x, context], 1)
        h, c = self.cell(x, state)
        out_in = F.cat([h, context], 1) if self.config.attention else h
        return self.out(out_in), (h, c), alpha

    def _keys(self, features):
        return self.att_feature(features) if self.config.attention else None

    # -- training ----------------------------------------------------------------------------
    def forward(self, images, captions):
        captions = np.asarray(captions.array if isinstance(captions, Tensor) else captions)
        if captions.ndim != 2 or captions.shape[1] < 2:
            raise ValueError(f"Captioner: captions should be (N, T >= 2) token ids starting with "
                             f"BOS, got shape {captions.shape}")
        features = self.encode(images)
        if captions.shape[0] != features.shape[0]:
            raise ValueError(f"Captioner: {features.shape[0]} images but {captions.shape[0]} "
                             f"captions")
        keys, state = self._keys(features), self.init_state(features)
        logits, alphas = [], []
        for t in range(captions.shape[1] - 1):
            step_logits, state, alpha = self.step(captions[:, t], state, features, keys)
            logits.append(step_logits)
            alphas.append(alpha)
        attention = F.stack(alphas, 1) if self.config.attention else None
        return F.stack(logits, 1), attention

    # -- decoding ----------------------------------------------------------------------------
    @no_grad()
    def greedy(self, images, max_len=20):
        """Argmax decoding -> (list of token-id lists without BOS/EOS, list of α arrays (t, L))."""
        cfg = self.config
        features = self.encode(images)
        keys, state = self._keys(features), self.init_state(features)
        n = features.shape[0]
        prev = np.full(n, cfg.bos_idx, np.int64)
        tokens, alphas = [[] for _ in range(n)], [[] for _ in range(n)]
        done = np.zeros(n, bool)
        for _ in range(max_len):
            logits, state, alpha = self.step(prev, state, features, keys)
            prev = logits.array.argmax(-1)
            for i in np.flatnonzero(~done):
                if prev[i] == cfg.eos_idx:
                    done[i] = True
                    continue
                tokens[i].append(int(prev[i]))
                if alpha is not None:
                    alphas[i].append(alpha.array[i])
            if done.all():
                break
        return tokens, [np.array(a) for a in alphas]

    @no_grad()
    def beam_search(self, image, beam_size=3, max_len=20):
        """Beam search for one image (C, H, W) -> (tokens without BOS/EOS, α (t, L), log-prob).

        Hypotheses are ranked by summed log-probability; a finished hypothesis (EOS) leaves the
        beam, and the search ends when the best finished one beats every live one.
        """
        cfg = self.config
        if beam_size < 1:
            raise ValueError(f"beam_search: beam_size should be >= 1, got {beam_size}")
        features = self.encode(image[None] if image.ndim == 3 else image)
        keys, state = self._keys(features), self.init_state(features)
        beams = [([], [], 0.0)]  # (tokens, alphas, log-prob)
        finished = []
        for _ in range(max_len):
            prev = np.array([b[0][-1] if b[0] else cfg.bos_idx for b in beams], np.int64)
            logits, state, alpha = self.step(prev, state, features, keys)
            logp = F.log_softmax(logits, -1).array
            scores = np.array([b[2] for b in beams])[:, None] + logp      # (k, V)
            order = np.argsort(-scores, axis=None, kind="stable")[:beam_size]
            new_beams, rows = [], []
            for flat in order:
                b, v = divmod(int(flat), logp.shape[1])
                tokens, alphas, _ = beams[b]
                if v == cfg.eos_idx:
                    finished.append((tokens, alphas, float(scores[b, v])))
                else:
                    a = alphas + ([alpha.array[b]] if alpha is not None else [])
                    new_beams.append((tokens + [v], a, float(scores[b, v])))
                    rows.append(b)
            if not new_beams:
                break
            best_done = max((f[2] for f in finished), default=-np.inf)
            if best_done >= max(b[2] for b in new_beams):
                break
            beams = new_beams
            state = tuple(s[np.array(rows)] for s in state)
            features = _repeat_rows(features[:1], len(rows))
            keys = None if keys is None else _repeat_rows(keys[:1], len(rows))
        pool = finished or beams
        tokens, alphas, score = max(pool, key=lambda f: f[2])
        return tokens, np.array(alphas), score


def _repeat_rows(t, k):
    """k copies of the first row of t."""
    return t[np.zeros(k, np.int64)]


@register
def captioner(*, weights=None, **kwargs):
    """Show, Attend and Tell (``attention=False``: Show and Tell) for 64×64 one-channel scenes."""
    return load_weights(Captioner(**kwargs), weights)
