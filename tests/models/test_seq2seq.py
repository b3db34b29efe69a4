import numpy as np
import pytest

import gradwise as gw
from gradwise.models.seq2seq import Seq2Seq, Seq2SeqConfig, length_penalty

PAD, BOS, EOS = 0, 1, 2


def _reverse_batch(rng, n, vocab=10, lo=3, hi=5):
    lengths = rng.integers(lo, hi + 1, n)
    src = np.full((n, hi), PAD)
    tgt = np.full((n, hi + 2), PAD)
    for i, l in enumerate(lengths):
        seq = rng.integers(3, vocab, l)
        src[i, :l] = seq
        tgt[i, 0], tgt[i, 1:l + 1], tgt[i, l + 1] = BOS, seq[::-1], EOS
    return src, lengths, tgt


def _model(seed=0, **kw):
    gw.manual_seed(seed)
    cfg = dict(src_vocab_size=10, tgt_vocab_size=10, embedding_dim=16, hidden_size=32)
    cfg.update(kw)
    return Seq2Seq(Seq2SeqConfig(**cfg))


@pytest.fixture(scope="module")
def trained():
    """A GRU + additive-attention model overfitted on a fixed batch of the reverse task."""
    rng = np.random.default_rng(0)
    src, lengths, tgt = _reverse_batch(rng, 24)
    model = _model()
    opt = gw.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(120):
        logits, _ = model(src, lengths, tgt)
        loss = model.loss(logits, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, src, lengths, tgt, loss.item()


def test_seq2seq_overfits_the_reverse_task(trained):
    model, src, lengths, tgt, loss = trained
    assert loss < 0.05, loss
    toks, _, attn = model.greedy_decode(src, lengths, max_len=8)
    for i, l in enumerate(lengths):
        np.testing.assert_array_equal(toks[i, :l + 1], tgt[i, 1:l + 2])
    # attention of the reversed copy points at the mirrored source position
    i, l = 0, lengths[0]
    np.testing.assert_array_equal(attn[i, :l].argmax(-1), np.arange(l)[::-1])


def test_forward_shapes_masks_and_attention_weights(trained):
    model, src, lengths, tgt, _ = trained
    logits, attn = model(src, lengths, tgt)
    assert logits.shape == (24, tgt.shape[1] - 1, 10) and attn.shape == (24, tgt.shape[1] - 1, 5)
    np.testing.assert_allclose(attn.array.sum(-1), 1.0, rtol=1e-5)
    pad = np.arange(5)[None, None, :] >= lengths[:, None, None]
    assert np.all(attn.array[np.broadcast_to(pad, attn.shape)] == 0)


def test_beam_size_one_equals_greedy(trained):
    model, src, lengths, _, _ = trained
    for m in (model, _model(seed=3)):  # trained and untrained (long, unfinished outputs)
        toks, score, _ = m.greedy_decode(src[:6], lengths[:6], max_len=7)
        hyps = m.beam_search(src[:6], lengths[:6], beam_size=1, max_len=7)
        for i in range(6):
            seq = list(toks[i])
            seq = seq[: seq.index(EOS) + 1] if EOS in seq else seq
            assert hyps[i][0].tokens == seq
            assert abs(hyps[i][0].score - score[i]) < 1e-4


def test_beam_hypotheses_sorted_by_normalised_score_with_consistent_scores(trained):
    model, src, lengths, _, _ = trained
    untrained = _model(seed=4, cell="lstm", attention="dot")
    for m, alpha, kind in ((model, 1.0, "power"), (untrained, 0.6, "gnmt")):
        hyps = m.beam_search(src[:2], lengths[:2], beam_size=4, max_len=7, alpha=alpha,
                             penalty=kind)
        for sent, n in zip(hyps, range(2)):
            assert 1 <= len(sent) <= 4
            norm = [h.normalized_score for h in sent]
            assert norm == sorted(norm, reverse=True)
            for h in sent:
                assert abs(h.normalized_score - h.score / length_penalty(len(h.tokens), alpha, kind)) < 1e-9
                # the score is the model's log-probability of the tokens (teacher-forced)
                tgt = np.array([[BOS] + h.tokens])
                logits, attn = m(src[n:n + 1], lengths[n:n + 1], tgt)
                logp = gw.log_softmax(logits, -1).array[0]
                assert abs(logp[np.arange(len(h.tokens)), h.tokens].sum() - h.score) < 1e-4
                np.testing.assert_allclose(h.attention, attn.array[0], atol=1e-5)


def test_beam_search_is_no_worse_than_greedy(trained):
    model, src, lengths, _, _ = trained
    m = _model(seed=5)
    _, greedy_score, _ = m.greedy_decode(src[:4], lengths[:4], max_len=6)
    hyps = m.beam_search(src[:4], lengths[:4], beam_size=5, max_len=6, alpha=0.0)
    for i in range(4):
        assert hyps[i][0].score >= greedy_score[i] - 1e-5


def test_teacher_forcing_ratio_zero_feeds_own_predictions(trained):
    model, src, lengths, _, _ = trained
    m = _model(seed=6)
    toks, _, _ = m.greedy_decode(src[:3], lengths[:3], max_len=5)
    dummy = np.full((3, 6), 7)
    dummy[:, 0] = BOS
    logits, _ = m(src[:3], lengths[:3], dummy, teacher_forcing_ratio=0.0)
    pred = logits.array.argmax(-1)
    for i in range(3):
        stop = list(toks[i]).index(EOS) + 1 if EOS in toks[i] else 5
        np.testing.assert_array_equal(pred[i, :stop], toks[i, :stop])


def test_lstm_general_attention_variant_learns(rng):
    src, lengths, tgt = _reverse_batch(rng, 8, lo=3, hi=3)
    m = _model(seed=7, cell="lstm", attention="general", hidden_size=16)
    opt = gw.optim.Adam(m.parameters(), lr=0.02)
    losses = []
    for _ in range(25):
        logits, _ = m(src, lengths, tgt, teacher_forcing_ratio=0.5,
                      generator=np.random.default_rng(0))
        loss = m.loss(logits, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_registry_builds_seq2seq():
    m = gw.models.create("seq2seq", src_vocab_size=7, tgt_vocab_size=9, hidden_size=8,
                         embedding_dim=4, cell="lstm")
    assert isinstance(m, Seq2Seq) and m.out.out_features == 9


def test_seq2seq_errors():
    with pytest.raises(ValueError, match="cell must be 'gru' or 'lstm'"):
        Seq2Seq(Seq2SeqConfig(cell="rnn"))
    with pytest.raises(ValueError, match="attention must be"):
        Seq2Seq(Seq2SeqConfig(attention="cosine"))
    m = _model()
    with pytest.raises(ValueError, match=r"src_lengths must be N = 2 values in \[1, 4\]"):
        m(np.ones((2, 4), int), [5, 2], np.ones((2, 3), int))
    with pytest.raises(ValueError, match="teacher_forcing_ratio must be in"):
        m(np.ones((2, 4), int), [4, 2], np.ones((2, 3), int), teacher_forcing_ratio=1.5)
    with pytest.raises(ValueError, match="beam_size must be a positive int"):
        m.beam_search(np.ones((1, 4), int), [4], beam_size=0)
    with pytest.raises(ValueError, match="kind must be 'power' or 'gnmt'"):
        m.beam_search(np.ones((1, 4), int), [4], penalty="linear")
