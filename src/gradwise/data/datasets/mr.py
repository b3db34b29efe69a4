"""Movie Review sentence polarity v1.0 (Pang & Lee 2005; the "MR" set of Kim 2014).

``<root>/rt-polarity/rt-polarity.pos`` and ``.neg`` (5,331 lines each, Latin-1, lower-cased and
tokenized), or the original ``rt-polaritydata.tar.gz`` that holds them.
"""
from __future__ import annotations

import tarfile

import numpy as np

from ._files import DatasetNotFoundError, find_file

ENCODING = "latin-1"  # the files are Windows-1252/Latin-1, not UTF-8


def _lines(raw: bytes) -> list:
    return [line.strip() for line in raw.decode(ENCODING).split("\n") if line.strip()]


def read_rt_polarity_tar(path):
    """(pos lines, neg lines) read directly from ``rt-polaritydata.tar.gz``."""
    found = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            for kind in ("pos", "neg"):
                if member.isfile() and member.name.endswith(f"rt-polarity.{kind}"):
                    found[kind] = _lines(tar.extractfile(member).read())
    if set(found) != {"pos", "neg"}:
        raise ValueError(f"read_rt_polarity_tar: {path} lacks rt-polarity.pos/.neg (found {sorted(found)})")
    return found["pos"], found["neg"]


def load_mr(root=None, download=False, verify=True, from_tar=False):
    """The MR sentences and labels: positives first (label 1), then negatives (label 0).

    Reads the extracted ``.pos``/``.neg`` files when present, otherwise (or with
    ``from_tar=True``) the original tarball, which ``download=True`` fetches from Cornell.

    Returns:
        texts: list of 10,662 str (stripped lines); labels: int64 (10662,).
    """
    pos = neg = None
    if not from_tar:
        try:
            pos_path = find_file("rt-polarity", "rt-polarity.pos", root, False, verify)
            neg_path = find_file("rt-polarity", "rt-polarity.neg", root, False, verify)
        except DatasetNotFoundError:
            from_tar = True
        else:
            pos, neg = _lines(pos_path.read_bytes()), _lines(neg_path.read_bytes())
    if from_tar:
        pos, neg = read_rt_polarity_tar(find_file("rt-polarity", "rt-polaritydata.tar.gz", root, download, verify))
    labels = np.concatenate([np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)])
    return pos + neg, labels
