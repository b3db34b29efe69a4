"""The char-CNN word encoder of the UPOS tagger (gradwise train pos): shapes, padding, <unk>
spellings, gradients, word dropout, checkpoints through the CLI, the word-only fallback and
the out-of-vocabulary test accuracy."""
import json

import numpy as np
import pytest

import gradwise as gw
from gradwise.cli import main
from gradwise.core import Tensor
from gradwise.core.random import default_generator
from gradwise.data import Vocab
from gradwise.train.checkpoint import load_checkpoint
from gradwise.train.tasks import pos
from gradwise.models.tagger import BiLSTMTagger, CharCNN
from gradwise.train.tasks.pos import MAX_WORD_CHARS, build_char_vocab, char_ids, collate

WORD_ONLY_NAMES = [
    "embedding.weight",
    "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
    "lstm.weight_ih_l0_reverse", "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse",
    "lstm.bias_hh_l0_reverse",
    "fc.weight", "fc.bias",
]


def reference_char_cnn(enc, word_ids):
    """NumPy Ma & Hovy encoder of ONE word (real character ids only): embed, zero-padded
    width-3 convolution, max over the characters."""
    E = enc.embedding.weight.array[word_ids]                        # (n, C)
    w, b = enc.conv.weight.array, enc.conv.bias.array                # (F, C, 3), (F,)
    padded = np.concatenate([np.zeros((1, E.shape[1])), E, np.zeros((1, E.shape[1]))])
    h = np.stack([np.einsum("fck,kc->f", w, padded[j:j + 3]) + b for j in range(len(word_ids))])
    return h.max(axis=0)                                           # (F,)


def test_char_cnn_maps_char_ids_to_one_vector_per_word():
    gw.manual_seed(0)
    enc = CharCNN(num_chars=12, embed_size=4, num_filters=6).eval()
    ids = np.random.default_rng(0).integers(1, 12, size=(2, 3, 5))
    assert enc(Tensor(ids)).shape == (2, 3, 6)                     # (N, L, W) -> (N, L, F)
    assert enc(Tensor(ids.reshape(6, 5))).shape == (6, 6)          # (M, W) -> (M, F)
    with pytest.raises(ValueError, match=r"CharCNN: expected integer char ids"):
        enc(Tensor(ids.astype(np.float32)))
    with pytest.raises(ValueError, match=r"kernel_size must be odd"):
        CharCNN(12, 4, 6, kernel_size=2)


def test_char_cnn_matches_a_per_word_reference_and_padding_never_wins_the_max():
    gw.manual_seed(0)
    enc = CharCNN(num_chars=9, embed_size=3, num_filters=4).eval()
    # positive embeddings, negative filters: every real position is below the bias, which is
    # exactly what an unmasked padded position (zero input) would output
    enc.embedding.weight.array[1:] = np.abs(enc.embedding.weight.array[1:]) + 0.5
    enc.conv.weight.array[:] = -np.abs(enc.conv.weight.array) - 0.1
    words = [[3, 1, 4, 1, 5], [2, 6], [8]]
    ids = np.zeros((3, 7), np.int64)
    for i, w in enumerate(words):
        ids[i, :len(w)] = w
    out = enc(Tensor(ids)).array                                    # (3, F)
    for i, w in enumerate(words):
        np.testing.assert_allclose(out[i], reference_char_cnn(enc, w), rtol=1e-5, atol=1e-5)
    assert (out < enc.conv.bias.array).all()


def test_padded_character_ids_and_width_do_not_change_the_word_vector():
    gw.manual_seed(1)
    enc = CharCNN(num_chars=20, embed_size=5, num_filters=7).eval()
    rng = np.random.default_rng(1)
    lengths = np.array([1, 3, 6, 2])
    real = np.arange(8)[None, :] < lengths[:, None]                # (4, 8)
    ids = np.where(real, rng.integers(1, 20, size=(4, 8)), 0)
    base = enc(Tensor(ids)).array
    noisy = np.where(real, ids, rng.integers(1, 20, size=(4, 8)))  # garbage where padded
    np.testing.assert_array_equal(enc(Tensor(noisy), mask=real).array, base)
    wider = np.concatenate([ids, np.zeros((4, 5), np.int64)], axis=1)
    np.testing.assert_allclose(enc(Tensor(wider)).array, base, rtol=1e-6, atol=1e-6)
    # a padded sentence position (no characters at all) is the zero vector
    np.testing.assert_array_equal(enc(Tensor(np.zeros((2, 4), np.int64))).array, 0.0)


def test_unk_words_get_different_vectors_for_different_spellings():
    sentences = [(["The", "cat", "sat", "."], ["DET", "NOUN", "VERB", "PUNCT"])]
    chars = build_char_vocab(sentences)
    assert chars.itos[:2] == ["<pad>", "<unk>"] and "T" in chars and "t" in chars
    spellings = ["Sat", "sat", "cats"]
    tokens = Tensor(np.full((3, 1), 1, np.int64))                  # every word is <unk> (id 1)
    lengths = Tensor(np.ones(3, np.int64))
    chars_batch = Tensor(char_ids(chars, spellings)[:, None, :])   # (3, 1, W)
    gw.manual_seed(0)
    tagger = BiLSTMTagger(10, 17, embed_size=4, hidden_size=5, dropout=0.0,
                          char_vocab_size=len(chars), char_embed_size=6, char_filters=8).eval()
    vectors = tagger.char_cnn(chars_batch).array[:, 0]              # (3, F)
    logits = tagger(tokens, lengths, chars_batch).array[:, 0]       # (3, T)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert not np.allclose(vectors[i], vectors[j])
        assert not np.allclose(logits[i], logits[j])
    word_only = BiLSTMTagger(10, 17, embed_size=4, hidden_size=5, dropout=0.0).eval()
    same = word_only(tokens, lengths).array[:, 0]
    np.testing.assert_array_equal(same[0], same[1])               # without chars: one <unk>


def test_char_ids_keep_case_clip_long_words_and_collate_pads_both_axes():
    chars = Vocab(["<pad>", "<unk>", "a", "b", "A"])
    ids = char_ids(chars, ["Ab", "a", "z"])
    np.testing.assert_array_equal(ids, [[4, 3], [2, 0], [1, 0]])   # unknown char -> <unk>
    long_word = "a" * 15 + "b" * 15
    clipped = char_ids(chars, [long_word])[0]
    assert clipped.shape == (MAX_WORD_CHARS,)
    assert clipped[0] == 2 and clipped[-1] == 3                    # head and tail (suffix) kept
    batch = [(np.array([2, 3]), np.array([0, 1]), char_ids(chars, ["Ab", "a"])),
             (np.array([4]), np.array([2]), char_ids(chars, ["bab"]))]
    tokens, lengths, _, tags, char_batch = collate(batch)
    assert char_batch.shape == (2, 2, 3) and char_batch.array.dtype == np.int64
    np.testing.assert_array_equal(char_batch.array[1], [[3, 2, 3], [0, 0, 0]])
    np.testing.assert_array_equal(tags.array[1], [2, -100])
    assert len(collate([b[:2] for b in batch])) == 4              # word-only batches unchanged


def test_char_cnn_gradcheck_float64():
    gw.manual_seed(2)
    enc = CharCNN(num_chars=7, embed_size=3, num_filters=4).double().eval()
    # a repeated word (encoded once, its gradient summed over both occurrences) and padding
    ids = Tensor(np.array([[[3, 1, 4, 0], [5, 2, 0, 0], [6, 0, 0, 0]],
                           [[5, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]))
    params = [enc.embedding.weight, enc.conv.weight, enc.conv.bias]
    assert all(p.dtype == np.float64 for p in params)
    assert gw.autograd.gradcheck(lambda *p: enc(ids), params, eps=1e-6, atol=1e-7, rtol=1e-5)


def test_word_dropout_replaces_real_word_ids_by_unk_in_training_only():
    gw.manual_seed(3)
    tagger = BiLSTMTagger(30, 17, embed_size=4, hidden_size=5, dropout=0.0, word_dropout=0.5,
                          unk_idx=1)
    ids = np.array([[5, 6, 7, 8, 9, 10], [11, 12, 13, 0, 0, 0]])
    tokens, lengths = Tensor(ids), Tensor(np.array([6, 3]))
    gw.manual_seed(7)
    dropped = tagger.train()(tokens, lengths).array
    gw.manual_seed(7)
    drop = (default_generator().random(ids.shape) < 0.5) & (ids != 0)
    assert drop.any() and not drop.all()
    expected = tagger.eval()(Tensor(np.where(drop, 1, ids)), lengths).array
    np.testing.assert_allclose(dropped, expected, rtol=1e-6, atol=1e-6)
    assert not np.allclose(tagger(tokens, lengths).array, expected)  # eval mode keeps the words
    with pytest.raises(ValueError, match=r"word_dropout must be in \[0, 1\)"):
        BiLSTMTagger(30, 17, word_dropout=1.0)


def test_char_embed_size_zero_is_the_word_only_model():
    word_only = BiLSTMTagger(50, 17, embed_size=8, hidden_size=6)
    disabled = BiLSTMTagger(50, 17, embed_size=8, hidden_size=6, char_vocab_size=40,
                            char_embed_size=0, char_filters=9)
    for model in (word_only, disabled):
        assert [n for n, _ in model.named_parameters()] == WORD_ONLY_NAMES
        assert model.lstm.weight_ih_l0.shape == (4 * 6, 8)
    with_chars = BiLSTMTagger(50, 17, embed_size=8, hidden_size=6, char_vocab_size=40,
                              char_embed_size=5, char_filters=9)
    names = [n for n, _ in with_chars.named_parameters()]
    assert {"char_cnn.embedding.weight", "char_cnn.conv.weight", "char_cnn.conv.bias"} <= set(names)
    assert with_chars.lstm.weight_ih_l0.shape == (4 * 6, 8 + 9)


def _train(capsys, run_dir, *extra):
    code = main(["train", "pos", "--limit", "40", "--max-steps", "2", "--embed-size", "8",
                 "--hidden-size", "8", "--run-dir", str(run_dir), *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    (ckpt,) = sorted((run_dir / "checkpoints").glob("ckpt-*.json"))[-1:]
    return load_checkpoint(ckpt), json.loads((run_dir / "results.json").read_text())


def test_cli_trains_with_chars_and_evaluates_the_checkpoint(capsys, tmp_path, shared_data):
    ckpt, results = _train(capsys, tmp_path / "chars", "--char-embed-size", "8",
                           "--char-filters", "6", "--word-dropout", "0.1")
    assert ckpt.model_config["char_embed_size"] == 8 and ckpt.model_config["char_filters"] == 6
    chars = Vocab.from_json(ckpt.extra["chars"])
    assert chars.itos[:2] == ["<pad>", "<unk>"]
    assert ckpt.model_config["char_vocab_size"] == len(chars)
    assert ckpt.model_config["word_dropout"] == 0.1
    code = main(["eval", str(tmp_path / "chars")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "(pos," in out
    assert f"{results['test_acc']:.4f}" in out                     # the rebuilt model agrees

    ckpt0, _ = _train(capsys, tmp_path / "words", "--char-embed-size", "0")
    assert "chars" not in ckpt0.extra
    assert sorted(ckpt0.model_config) == sorted(["vocab_size", "num_tags", "embed_size",
                                                 "hidden_size", "num_layers", "dropout"])
    assert main(["eval", str(tmp_path / "words")]) == 0
    code = main(["train", "pos", "--char-filters", "0"])
    _, err = capsys.readouterr()
    assert code == 2 and "--char-filters must be >= 1" in err


def test_test_results_report_out_of_vocabulary_words(capsys, tmp_path, shared_data):
    ckpt, results = _train(capsys, tmp_path / "oov", "--char-embed-size", "4",
                           "--char-filters", "3")
    vocab = Vocab.from_json(ckpt.extra["vocab"])
    _, _, test = pos._splits(pos.Config(**ckpt.extra["task_config"]))
    ids = np.concatenate([vocab.encode(words) for words, _ in test])
    assert results["test_oov_fraction"] == pytest.approx(np.mean(ids == vocab.unk_index))
    assert 0 < results["test_oov_fraction"] < 1                    # 40 training sentences
    assert 0.0 <= results["test_oov_acc"] <= 1.0
