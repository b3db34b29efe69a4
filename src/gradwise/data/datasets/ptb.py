"""Penn Treebank, Mikolov's language-modelling version (``<root>/ptb/ptb.{train,valid,test}.txt``).

Each line is a sentence; it is split on whitespace and ``<eos>`` is appended, which gives the
standard token counts 929,589 / 73,760 / 82,430 and a 10,000-word vocabulary (Zaremba et al. 2014).
"""
from __future__ import annotations

from ._files import find_file

SPLITS = ("train", "valid", "test")


def read_lm_tokens(path, eos="<eos>", encoding="utf-8") -> list:
    """Whitespace tokens of a one-sentence-per-line file, with ``eos`` after each line."""
    tokens = []
    with open(path, encoding=encoding) as f:
        for line in f:
            tokens.extend(line.split())
            tokens.append(eos)
    return tokens


def load_ptb(split="train", root=None, download=False, verify=True) -> list:
    """PTB tokens of one split (list of str, ``<eos>`` at each sentence end)."""
    if split not in SPLITS:
        raise ValueError(f"load_ptb: split should be one of {SPLITS}, got {split!r}")
    return read_lm_tokens(find_file("ptb", f"ptb.{split}.txt", root, download, verify))
