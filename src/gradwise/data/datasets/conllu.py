"""Universal Dependencies CoNLL-U files: words and their part-of-speech tags.

Ten tab-separated columns ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC; sentences end with
a blank line. Comment lines (``#``), multiword-token lines (ID ``3-4``) and empty-node lines
(ID ``8.1``) are skipped, so each sentence is its list of syntactic words.
English EWT r2.13 lives in ``<root>/ud-english-ewt/en_ewt-ud-{train,dev,test}.conllu(.gz)``.
"""
from __future__ import annotations

import gzip

from ._files import find_file

UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
             "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
_COLUMNS = {"upos": 3, "xpos": 4, "lemma": 2, "deprel": 7}


def read_conllu(path, tag="upos") -> list:
    """Sentences of a CoNLL-U file (``.gz`` or plain) as ``(words, tags)`` pairs of lists.

    Args:
        tag: which column to pair with the words: ``"upos"`` (default), ``"xpos"``, ``"lemma"``
            or ``"deprel"``.
    """
    if tag not in _COLUMNS:
        raise ValueError(f"read_conllu: tag should be one of {sorted(_COLUMNS)}, got {tag!r}")
    col = _COLUMNS[tag]
    opener = gzip.open if str(path).endswith(".gz") else open
    sentences, words, tags = [], [], []
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    sentences.append((words, tags))
                    words, tags = [], []
                continue
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 10:
                raise ValueError(f"read_conllu: {path}:{lineno}: expected 10 tab-separated columns, got {len(fields)}")
            if "-" in fields[0] or "." in fields[0]:  # multiword token / empty node
                continue
            words.append(fields[1])
            tags.append(fields[col])
    if words:
        sentences.append((words, tags))
    return sentences


def load_ud_ewt(split="train", root=None, download=False, verify=True, tag="upos") -> list:
    """UD English-EWT r2.13: 12,544 / 2,001 / 2,077 sentences for train / dev / test."""
    if split not in ("train", "dev", "test"):
        raise ValueError(f"load_ud_ewt: split should be 'train', 'dev' or 'test', got {split!r}")
    name = f"en_ewt-ud-{split}.conllu"
    return read_conllu(find_file("ud-english-ewt", (name + ".gz", name), root, download, verify), tag=tag)
