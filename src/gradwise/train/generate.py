"""Sampling from language models: temperature, top-k and top-p (nucleus) sampling.

The filtering follows the usual order (Hugging Face ``generate``): divide the logits by the
temperature, keep the k largest (top-k), then keep the smallest set of most likely tokens whose
probability mass reaches p (top-p, Holtzman et al. 2020, "The Curious Case of Neural Text
Degeneration"), renormalise and draw. Greedy and beam search for seq2seq models live with the
models (``gradwise.models.seq2seq``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..core import no_grad
from ..core.random import default_generator


def filter_logits(logits: np.ndarray, top_k: int | None = None,
                  top_p: float | None = None) -> np.ndarray:
    """Set every logit outside the top-k and outside the top-p nucleus to -inf.

    Args:
        logits: unnormalised scores over the vocabulary, last axis.
        top_k: keep the k highest logits (ties with the k-th value are kept); None or 0 keeps all.
        top_p: keep the most likely tokens until their cumulative probability reaches p
            (the token that crosses p is kept, so at least one token survives); None or 1 keeps all.

    Shape: (..., V) -> (..., V)
    """
    logits = np.array(logits, dtype=np.float64)                # a copy: never mutate the input
    vocab = logits.shape[-1]
    if top_k is not None and top_k != 0:
        if not 0 < top_k:
            raise ValueError(f"filter_logits: top_k must be a positive integer, got {top_k}")
        k = min(int(top_k), vocab)
        kth = np.sort(logits, axis=-1)[..., vocab - k][..., None]   # (..., 1)
        logits[logits < kth] = -np.inf
    if top_p is not None and top_p < 1.0:
        if not 0.0 < top_p:
            raise ValueError(f"filter_logits: top_p must lie in (0, 1], got {top_p}")
        order = np.argsort(-logits, axis=-1, kind="stable")        # most likely first
        sorted_logits = np.take_along_axis(logits, order, -1)
        probs = _softmax(sorted_logits)
        mass_before = np.cumsum(probs, axis=-1) - probs             # mass of strictly better tokens
        drop_sorted = mass_before >= top_p
        drop = np.empty_like(drop_sorted)
        np.put_along_axis(drop, order, drop_sorted, -1)
        logits[drop] = -np.inf
    return logits


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw one token id per row from temperature-scaled, top-k/top-p filtered logits.

    Args:
        logits: scores ``(V,)`` or ``(N, V)`` (a Tensor or an array).
        temperature: > 0 divides the logits (below 1 sharpens, above 1 flattens); 0 is greedy.
        top_k, top_p: see :func:`filter_logits`.
        rng: the generator to draw from; the library RNG by default.

    Shape: (V,) -> () int64; (N, V) -> (N,) int64
    """
    logits = np.asarray(getattr(logits, "array", logits), dtype=np.float64)
    if logits.ndim not in (1, 2):
        raise ValueError(f"sample_next: expected logits (V,) or (N, V), got {logits.shape}")
    if temperature < 0:
        raise ValueError(f"sample_next: temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(-1).astype(np.int64)
    rng = rng if rng is not None else default_generator()
    probs = _softmax(filter_logits(logits / temperature, top_k, top_p))   # (..., V)
    flat = probs.reshape(-1, probs.shape[-1])                              # (N, V)
    u = rng.random(flat.shape[0])                                          # (N,)
    # inverse-CDF draw; clip guards u·sum rounding past the last bucket
    ids = (np.cumsum(flat, axis=-1) < u[:, None] * flat.sum(-1, keepdims=True)).sum(-1)
    ids = np.minimum(ids, flat.shape[-1] - 1).astype(np.int64)
    return ids.reshape(probs.shape[:-1])


def generate(step: Callable, prompt: Sequence[int], max_new_tokens: int,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             rng: np.random.Generator | None = None, stop_id: int | None = None) -> list[int]:
    """Autoregressive sampling from a recurrent language model.

    Args:
        step: ``step(ids, state) -> (logits, state)`` with ids an int64 array ``(1, T)``,
            logits ``(1, T, V)`` and ``state`` the recurrent state (None at the start).
        prompt: the conditioning token ids (at least one).
        max_new_tokens: number of tokens to draw.
        temperature, top_k, top_p, rng: see :func:`sample_next`.
        stop_id: stop after drawing this id (e.g. ``<eos>``); it is included in the output.

    Returns:
        The new token ids (without the prompt).
    """
    if len(prompt) == 0:
        raise ValueError("generate: the prompt must contain at least one token")
    out: list[int] = []
    with no_grad():
        logits, state = step(np.asarray([list(prompt)], dtype=np.int64), None)
        for _ in range(max_new_tokens):
            last = np.asarray(getattr(logits, "array", logits))[0, -1]      # (V,)
            token = int(sample_next(last, temperature, top_k, top_p, rng))
            out.append(token)
            if stop_id is not None and token == stop_id:
                break
            logits, state = step(np.asarray([[token]], dtype=np.int64), state)
    return out
