"""Text: tokenizers, a vocabulary, and language-model batching with BPTT windows.

``lm_batchify`` and ``bptt_windows`` reproduce the data layout of Zaremba, Sutskever & Vinyals
(2014) and of PyTorch's ``word_language_model`` example: the token stream is cut into
``batch_size`` contiguous streams laid side by side as columns, and training walks down the rows
in windows of ``bptt`` steps, carrying the hidden state from one window to the next.
"""
from __future__ import annotations

import collections
import json
import os
import pathlib
import re
import tempfile

import numpy as np

from ..core import Tensor

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")

_WORD_RE = re.compile(r"\w+|[^\w\s]")


def char_tokenize(text: str) -> list:
    """Characters of ``text``, one token each (whitespace and newlines included)."""
    return list(text)


def word_tokenize(text: str, lower: bool = False, split_punct: bool = False) -> list:
    """Words of ``text``.

    Args:
        lower: lower-case first.
        split_punct: also split punctuation off words (``"don't!"`` -> ``don ' t !``);
            otherwise split on whitespace only (as PTB and MR, which are pre-tokenized, need).
    """
    if lower:
        text = text.lower()
    return _WORD_RE.findall(text) if split_punct else text.split()


class Vocab:
    """Token <-> id mapping: ``itos`` (list, id -> token) and ``stoi`` (dict, token -> id).

    Args:
        itos: the tokens in id order (no duplicates).
        unk_token: the token unknown words map to in ``encode``; None to raise on unknown words.

    Build one from a corpus with ``Vocab.build``; save and load it as JSON.
    """

    def __init__(self, itos, unk_token="<unk>"):
        self.itos = [str(t) for t in itos]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dup = [t for t, c in collections.Counter(self.itos).items() if c > 1]
            raise ValueError(f"Vocab: duplicate tokens {dup[:5]}")
        if unk_token is not None and unk_token not in self.stoi:
            raise ValueError(f"Vocab: unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token = unk_token

    @classmethod
    def build(cls, corpus, min_freq=1, max_size=None, specials=SPECIALS, unk_token="<unk>"):
        """Vocabulary of the tokens in ``corpus``.

        Args:
            corpus: an iterable of token sequences (e.g. a list of tokenized sentences), or one
                flat sequence of string tokens.
            min_freq: keep tokens seen at least this many times.
            max_size: total size cap, specials included (the most frequent tokens are kept).
            specials: tokens placed first, in this order (default ``<pad> <unk> <bos> <eos>``, so
                ``<pad>`` is id 0). A special that also occurs in the corpus is not repeated.
            unk_token: the unknown-word token; when it is neither a special nor a kept token the
                vocabulary has none (``encode`` then raises KeyError on unknown tokens).

        Order: specials, then tokens by decreasing frequency, ties broken alphabetically (as
        torchtext's ``build_vocab_from_iterator``), so the result does not depend on corpus order.
        """
        if isinstance(corpus, str):
            raise TypeError("Vocab.build: expected token sequences, got a str; tokenize it first")
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq should be >= 1, got {min_freq}")
        counter = collections.Counter()
        for item in corpus:
            if isinstance(item, str):
                counter[item] += 1
            else:
                counter.update(item)
        specials = list(specials)
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"Vocab.build: max_size {max_size} is smaller than the {len(specials)} specials")
        special_set = set(specials)
        ranked = sorted((t for t, c in counter.items() if c >= min_freq and t not in special_set))
        ranked.sort(key=lambda t: counter[t], reverse=True)  # stable: ties stay alphabetical
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        return cls(specials + ranked, unk_token=unk_token if unk_token in special_set or unk_token in ranked else None)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        return self.lookup(token)

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.itos == other.itos and self.unk_token == other.unk_token

    def __repr__(self):
        return f"Vocab(size={len(self)}, unk_token={self.unk_token!r})"

    @property
    def unk_index(self):
        return None if self.unk_token is None else self.stoi[self.unk_token]

    def lookup(self, token) -> int:
        """Id of ``token``; the unk id for unknown tokens (KeyError if there is no unk token)."""
        i = self.stoi.get(token)
        if i is not None:
            return i
        if self.unk_token is None:
            raise KeyError(f"Vocab: token {token!r} is not in the vocabulary and there is no unk_token")
        return self.stoi[self.unk_token]

    def encode(self, tokens, bos=False, eos=False) -> list:
        """Ids of ``tokens``; optionally with ``<bos>``/``<eos>`` ids around them."""
        ids = [self.lookup(t) for t in tokens]
        if bos:
            ids.insert(0, self.lookup_special("<bos>"))
        if eos:
            ids.append(self.lookup_special("<eos>"))
        return ids

    def lookup_special(self, token) -> int:
        if token not in self.stoi:
            raise KeyError(f"Vocab: special token {token!r} is not in the vocabulary")
        return self.stoi[token]

    def decode(self, ids, skip_specials=()) -> list:
        """Tokens of ``ids`` (a list, array or Tensor of ints); drops those in ``skip_specials``."""
        if isinstance(ids, Tensor):
            ids = ids.array
        out = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if not 0 <= i < len(self.itos):
                raise IndexError(f"Vocab.decode: id {i} outside [0, {len(self.itos)})")
            if self.itos[i] not in skip_specials:
                out.append(self.itos[i])
        return out

    def to_json(self) -> dict:
        return {"format": "gradwise.Vocab", "version": 1, "unk_token": self.unk_token, "itos": self.itos}

    @classmethod
    def from_json(cls, obj) -> "Vocab":
        if not isinstance(obj, dict) or obj.get("format") != "gradwise.Vocab" or "itos" not in obj:
            raise ValueError("Vocab.from_json: not a gradwise Vocab (expected format 'gradwise.Vocab')")
        return cls(obj["itos"], unk_token=obj.get("unk_token"))

    def save(self, path) -> None:
        """Write the vocabulary as UTF-8 JSON (atomically: temp file, then rename)."""
        path = pathlib.Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.to_json(), f, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path) -> "Vocab":
        with open(path, encoding="utf-8") as f:
            try:
                obj = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f"Vocab.load: {path} is not valid JSON ({err})") from None
        return cls.from_json(obj)


def lm_batchify(ids, batch_size: int) -> Tensor:
    """Cut a token-id stream into ``batch_size`` parallel streams, one per column.

    The trailing ``len(ids) % batch_size`` tokens are dropped; column j is the j-th contiguous
    chunk of the stream. Same as ``data.view(bsz, -1).t()`` in PyTorch's word_language_model.

    Args:
        ids: 1-D token ids (list, array or Tensor).
        batch_size: number of streams N.

    Shape: ids (L,) -> (L // N, N), int64.
    """
    data = ids.array if isinstance(ids, Tensor) else np.asarray(ids)
    if data.ndim != 1:
        raise ValueError(f"lm_batchify: expected 1-D token ids, got shape {data.shape}")
    if batch_size <= 0 or len(data) < batch_size:
        raise ValueError(f"lm_batchify: need 1 <= batch_size <= {len(data)} tokens, got batch_size={batch_size}")
    nbatch = len(data) // batch_size
    data = data[: nbatch * batch_size].astype(np.int64)
    return Tensor(np.ascontiguousarray(data.reshape(batch_size, nbatch).T))  # (L//N, N)


def bptt_windows(data, bptt: int):
    """Iterate over (x, y) windows of ``bptt`` time steps; y is x shifted one step ahead.

    Window i covers rows ``[i*bptt, i*bptt + s)`` with ``s = min(bptt, T - 1 - i*bptt)`` (the last
    window is shorter), exactly as ``get_batch`` in PyTorch's word_language_model example; that
    example flattens the target, ``y.reshape(-1)`` gives its layout.

    Args:
        data: batchified stream (T, N) from ``lm_batchify``.
        bptt: window length (the unroll length).

    Yields:
        x (s, N), y (s, N): Tensors with ``y[t] = data[i*bptt + t + 1]``.
    """
    arr = data.array if isinstance(data, Tensor) else np.asarray(data)
    if arr.ndim != 2:
        raise ValueError(f"bptt_windows: expected batchified data (T, N), got shape {arr.shape}")
    if bptt <= 0:
        raise ValueError(f"bptt_windows: bptt should be positive, got {bptt}")
    for i in range(0, arr.shape[0] - 1, bptt):
        s = min(bptt, arr.shape[0] - 1 - i)
        yield Tensor(arr[i:i + s]), Tensor(arr[i + 1:i + 1 + s])  # (s, N), (s, N)


def num_bptt_windows(data, bptt: int) -> int:
    """How many windows ``bptt_windows(data, bptt)`` yields: ceil((T - 1) / bptt)."""
    t = (data.shape[0] if hasattr(data, "shape") else len(data)) - 1
    return max(0, -(-t // bptt))
