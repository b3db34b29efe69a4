"""Decoding a trained encoder–decoder (``models.Seq2Seq``) and scoring it with corpus BLEU.

Greedy decoding takes the most probable token at every step; beam search keeps the ``beam``
best partial hypotheses by summed log-probability. Both stop at EOS or after ``max_len``
tokens; the EOS and what follows are cut off.
"""
from __future__ import annotations

import numpy as np

from .metrics import corpus_bleu


def decode(model, src_ids: list, beam: int = 1, max_len: int = 30):
    """(token ids without EOS, attention (len, S)) for one source sentence.

    Shape: src_ids S tokens -> ids (len,), attention (len, S)
    """
    src = np.asarray([src_ids], np.int64)
    lengths = np.asarray([len(src_ids)])
    eos = model.config.eos_idx
    if beam > 1:
        best = model.beam_search(src, lengths, beam_size=beam, max_len=max_len)[0][0]
        tokens, attention = list(best.tokens), best.attention
    else:
        toks, _, att = model.greedy_decode(src, lengths, max_len=max_len)
        tokens, attention = toks[0].tolist(), att[0]
    n = tokens.index(eos) if eos in tokens else len(tokens)
    return tokens[:n], np.asarray(attention)[:n]


def decoding_bleu(model, src_vocab, tgt_vocab, pairs, beam: int = 1) -> float:
    """Smoothed corpus BLEU-4 of decoding every (source tokens, reference tokens) pair."""
    model.eval()
    hyps, refs = [], []
    for src, tgt in pairs:
        ids, _ = decode(model, src_vocab.encode(src, eos=True), beam)
        hyps.append(tgt_vocab.decode(ids))
        refs.append([tgt])
    return corpus_bleu(refs, hyps, smooth=True)
