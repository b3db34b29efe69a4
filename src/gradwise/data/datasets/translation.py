"""Tab-separated sentence pairs (Tatoeba English-French, ``<root>/eng-fra/eng-fra.txt(.gz)``).

Normalisation follows the two usual recipes:

- ``"tutorial"``: PyTorch's "Translation with a Sequence to Sequence Network and Attention":
  strip accents (NFD, drop combining marks), lower-case, space before ``.!?``, every other run of
  non-letters becomes one space.
- ``"d2l"``: Dive into Deep Learning's ``preprocess_nmt``: non-breaking spaces to spaces,
  lower-case, a space before ``,.!?`` that follows a non-space.
"""
from __future__ import annotations

import gzip
import re
import sys
import unicodedata

from ._files import find_file

# The tutorial keeps pairs whose English side starts with one of these (after normalisation).
ENG_PREFIXES = ("i am ", "i m ", "he is", "he s ", "she is", "she s ", "you are", "you re ",
                "we are", "we re ", "they are", "they re ")


def read_pairs(path, encoding="utf-8") -> list:
    """(source, target) pairs from a tab-separated file (``.gz`` or plain); extra columns
    (e.g. the attribution column of newer manythings files) are ignored."""
    opener = gzip.open if str(path).endswith(".gz") else open
    pairs = []
    with opener(path, "rt", encoding=encoding) as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise ValueError(f"read_pairs: {path}:{lineno}: expected a tab-separated pair, got {line!r}")
            pairs.append((fields[0], fields[1]))
    return pairs


_NON_LETTERS = re.compile(r"[^a-zA-Z.!?]+")
_D2L_PUNCT = re.compile(r"(?<=[^ ])([,.!?])")


def _space_before(match) -> str:
    return " " + match.group(0)


_nonspacing_marks: dict = {}  # code point -> None for every category-Mn character, built on first use


def unicode_to_ascii(s: str) -> str:
    """Decompose (NFD) and drop the combining marks (category Mn): ``"été"`` -> ``"ete"``."""
    if s.isascii():
        return s
    if not _nonspacing_marks:
        _nonspacing_marks.update(
            (i, None) for i in range(sys.maxunicode + 1) if unicodedata.category(chr(i)) == "Mn")
    return unicodedata.normalize("NFD", s).translate(_nonspacing_marks)


def normalize_tutorial(s: str) -> str:
    """PyTorch seq2seq tutorial normalisation (``normalizeString``)."""
    s = unicode_to_ascii(s.lower().strip())
    s = s.replace(".", " .").replace("!", " !").replace("?", " ?")  # a space before each . ! ?
    return _NON_LETTERS.sub(" ", s)


def normalize_d2l(s: str) -> str:
    """d2l.ai ``preprocess_nmt`` normalisation."""
    s = s.replace("\u202f", " ").replace("\xa0", " ").lower()
    return _D2L_PUNCT.sub(_space_before, s)  # a space before ,.!? unless one is already there


_NORMALIZERS = {"tutorial": normalize_tutorial, "d2l": normalize_d2l}


def filter_pairs(pairs, max_length=None, prefixes=None, prefix_side=1) -> list:
    """Keep pairs with at most ``max_length`` words per side (``split(' ')``, as the tutorial)
    and, if ``prefixes`` is given, whose ``prefix_side`` sentence starts with one of them.

    The tutorial's ``MAX_LENGTH = 10`` with ``len(...) < MAX_LENGTH`` is ``max_length=9`` here.
    """
    prefixes = tuple(prefixes) if prefixes is not None else None
    out = []
    for p in pairs:
        if max_length is not None and (len(p[0].split(" ")) > max_length or len(p[1].split(" ")) > max_length):
            continue
        if prefixes is not None and not p[prefix_side].startswith(prefixes):
            continue
        out.append(p)
    return out


def load_eng_fra(root=None, download=False, verify=True, normalize=None, reverse=False,
                 max_length=None, prefixes=None) -> list:
    """English-French pairs (135,842 in the tutorial's file; the first is ("Go.", "Va !")).

    Args:
        normalize: None (raw text), ``"tutorial"``, ``"d2l"`` or a callable str -> str.
        reverse: return (French, English) pairs, as the tutorial does.
        max_length, prefixes: see ``filter_pairs``; prefixes are matched on the English side.
            The tutorial's subset is ``normalize="tutorial", reverse=True, max_length=9,
            prefixes=ENG_PREFIXES``.
    """
    path = find_file("eng-fra", ("eng-fra.txt.gz", "eng-fra.txt"), root, download, verify)
    pairs = read_pairs(path)
    if normalize is not None:
        fn = _NORMALIZERS.get(normalize) if isinstance(normalize, str) else normalize
        if fn is None or not callable(fn):
            raise ValueError(f"load_eng_fra: normalize should be None, 'tutorial', 'd2l' or a callable, got {normalize!r}")
        if prefixes is not None:  # cheap pre-filter on the English side: normalise the rest only
            prefixes = tuple(prefixes)
            pairs = [(a, b) for a, b in pairs if fn(a).startswith(prefixes)]
        pairs = [(fn(a), fn(b)) for a, b in pairs]
    if reverse:
        pairs = [(b, a) for a, b in pairs]
    if max_length is not None or prefixes is not None:
        pairs = filter_pairs(pairs, max_length, prefixes, prefix_side=1 if reverse else 0)
    return pairs
