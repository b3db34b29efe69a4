import json

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.data import Vocab, bptt_windows, char_tokenize, lm_batchify, num_bptt_windows, word_tokenize


def test_tokenizers():
    assert char_tokenize("ab c\n") == ["a", "b", " ", "c", "\n"]
    assert word_tokenize(" the cat  sat \n") == ["the", "cat", "sat"]
    assert word_tokenize("Don't stop!", lower=True, split_punct=True) == ["don", "'", "t", "stop", "!"]


def test_vocab_build_orders_specials_then_frequency_then_alphabet():
    corpus = [["b", "a", "c", "a"], ["c", "a", "d", "<unk>"]]
    vocab = Vocab.build(corpus)
    assert vocab.itos == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "c", "b", "d"]
    assert len(vocab) == 8 and vocab["c"] == 5 and vocab["zebra"] == vocab.unk_index == 1
    assert Vocab.build(corpus, min_freq=2).itos[4:] == ["a", "c"]
    assert Vocab.build(corpus, max_size=6).itos[4:] == ["a", "c"]
    assert Vocab.build(["x", "y", "x"], specials=()).itos == ["x", "y"]


def test_vocab_encode_decode_and_json_round_trip(tmp_path):
    vocab = Vocab.build([word_tokenize("the cat sat on the mat")])
    ids = vocab.encode(["the", "dog", "sat"], bos=True, eos=True)
    assert ids == [2, vocab["the"], 1, vocab["sat"], 3]
    assert vocab.decode(gw.tensor(ids), skip_specials={"<bos>", "<eos>"}) == ["the", "<unk>", "sat"]
    path = tmp_path / "vocab.json"
    vocab.save(path)
    loaded = Vocab.load(path)
    assert loaded == vocab and loaded.stoi == vocab.stoi and loaded.unk_token == "<unk>"
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "gradwise.Vocab"
    chinese = Vocab.build([list("春眠不覺曉")], specials=("<unk>",))
    chinese.save(path)
    assert Vocab.load(path).itos == chinese.itos


def test_vocab_errors():
    vocab = Vocab(["a", "b"], unk_token=None)
    with pytest.raises(KeyError, match="'c' is not in the vocabulary"):
        vocab.encode(["c"])
    with pytest.raises(ValueError, match="duplicate tokens"):
        Vocab(["a", "a"], unk_token=None)
    with pytest.raises(IndexError, match=r"id 5 outside \[0, 2\)"):
        vocab.decode([5])
    with pytest.raises(TypeError, match="tokenize it first"):
        Vocab.build("raw text")


def test_vocab_load_rejects_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"itos": ["a"]}')
    with pytest.raises(ValueError, match="not a gradwise Vocab"):
        Vocab.load(path)
    path.write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"):
        Vocab.load(path)


def _torch_batchify(data, bsz):  # pytorch/examples word_language_model/main.py
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def _torch_get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


@pytest.mark.parametrize("length, bsz, bptt", [(103, 4, 7), (100, 10, 5), (21, 20, 3), (50, 1, 49)])
def test_lm_batchify_and_bptt_windows_match_the_pytorch_example(length, bsz, bptt):
    ids = np.random.default_rng(0).integers(0, 1000, size=length)
    ours = lm_batchify(ids, bsz)
    theirs = _torch_batchify(torch.from_numpy(ids), bsz)
    assert ours.shape == (length // bsz, bsz) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    windows = list(bptt_windows(ours, bptt))
    starts = range(0, theirs.size(0) - 1, bptt)
    assert len(windows) == len(starts) == num_bptt_windows(ours, bptt)
    for (x, y), i in zip(windows, starts):
        tx, ty = _torch_get_batch(theirs, i, bptt)
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        np.testing.assert_array_equal(y.numpy().reshape(-1), ty.numpy())
        np.testing.assert_array_equal(y.numpy()[:-1], x.numpy()[1:])  # targets are inputs shifted by one


def test_lm_batchify_streams_are_contiguous_chunks():
    data = lm_batchify(np.arange(26), 3)  # 2 tokens dropped
    np.testing.assert_array_equal(data.numpy()[:, 1], np.arange(8, 16))
    with pytest.raises(ValueError, match="batch_size <= 5"):
        lm_batchify(np.arange(5), 6)
    with pytest.raises(ValueError, match=r"expected 1-D token ids, got shape \(2, 3\)"):
        lm_batchify(np.zeros((2, 3)), 1)
