"""Plain text corpora: any UTF-8 file, and tiny-shakespeare (``<root>/tinyshakespeare/input.txt``,
1,115,394 characters, Karpathy's char-rnn corpus)."""
from __future__ import annotations

import pathlib

from ._files import DatasetNotFoundError, find_file


def load_text(path, encoding="utf-8") -> str:
    """The whole text of a file (newlines kept as in the file)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"text file {path} not found")
    with open(path, encoding=encoding, newline="") as f:
        return f.read()


def load_tiny_shakespeare(root=None, download=False, verify=True) -> str:
    """Tiny Shakespeare as one string (1,115,394 characters, 65 distinct)."""
    return load_text(find_file("tinyshakespeare", "input.txt", root, download, verify))


def split_text(text: str, train_fraction=0.9):
    """(train, val) = the first ``train_fraction`` of the characters and the rest (nanoGPT's split)."""
    if not 0 < train_fraction <= 1:
        raise ValueError(f"split_text: train_fraction should be in (0, 1], got {train_fraction}")
    n = int(len(text) * train_fraction)
    return text[:n], text[n:]
