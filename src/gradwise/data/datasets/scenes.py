"""Captioned scenes composed from real MNIST digits: a captioning corpus that needs no download.

Each scene is a 64×64 canvas holding one to three digits, each small (14 px) or large (28 px),
at random non-overlapping positions. Its caption comes from a small grammar:

    one digit:    "a small seven"
    two digits:   "a large two above a small seven"      (above | below | left of | right of)
    three digits: "a small one left of a large two left of a small nine"   (read left to right;
                  at most one of the three is large)

The relation between two digits is the axis along which their centres differ most, and scenes
are drawn until that axis is unambiguous (the other offset at most half of it), so every caption
is true of its image. Generation is deterministic given the seed; the train and validation scenes
take their digits from disjoint halves of MNIST's training images, the test scenes from its test
images. Every scene also keeps its objects' boxes, so one can check where attention looks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mnist import load_mnist

CANVAS = 64
SIZES = {"small": 14, "large": 28}
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
RELATIONS = {  # dominant axis and sign of (second centre − first centre) -> words
    (0, 1): ("above",), (0, -1): ("below",), (1, 1): ("left", "of"), (1, -1): ("right", "of"),
}


@dataclass
class Scenes:
    """``images`` float32 (N, 1, 64, 64) in [0, 1]; ``captions`` list of word lists;
    ``boxes`` int array (N, 3, 4) of (top, left, bottom, right) per object (−1 rows pad);
    ``object_words[n]`` the caption word index of each object, aligned with ``boxes[n]``."""

    images: np.ndarray
    captions: list
    boxes: np.ndarray
    object_words: list

    def __len__(self):
        return len(self.captions)


def _resize(digit, size):
    """28×28 uint8 digit -> size×size float in [0, 1] (2×2 mean for small)."""
    d = digit.astype(np.float32) / 255
    if size == 28:
        return d
    return d.reshape(14, 2, 14, 2).mean(axis=(1, 3))


def _row(rng, sizes, gap=2):
    """Starts along one axis for objects in order, ``gap`` px apart at least, or None."""
    slack = CANVAS - sum(sizes) - gap * (len(sizes) - 1)
    if slack < 0:
        return None
    extra = np.diff(np.sort(rng.integers(0, slack + 1, size=len(sizes))), prepend=0)
    starts, pos = [], 0
    for size, e in zip(sizes, extra):
        pos += int(e)
        starts.append(pos)
        pos += size + gap
    return starts


def _place(rng, sizes, axis):
    """Boxes (top, left, bottom, right) for objects laid out in order along ``axis`` (0: top to
    bottom, 1: left to right), each centre within half the main offset of the previous one
    across, so the layout reads unambiguously; None if these sizes do not fit."""
    mains = _row(rng, sizes)
    if mains is None:
        return None
    crosses, prev_centre = [], None
    for j, size in enumerate(sizes):
        lo, hi = 0, CANVAS - size
        if prev_centre is not None:
            reach = (mains[j] + size / 2 - mains[j - 1] - sizes[j - 1] / 2) / 2
            lo = max(lo, int(np.ceil(prev_centre - reach - size / 2)))
            hi = min(hi, int(np.floor(prev_centre + reach - size / 2)))
            if lo > hi:
                return None
        crosses.append(int(rng.integers(lo, hi + 1)))
        prev_centre = crosses[-1] + size / 2
    if axis == 0:
        return [(m, c, m + s, c + s) for m, c, s in zip(mains, crosses, sizes)]
    return [(c, m, c + s, m + s) for m, c, s in zip(mains, crosses, sizes)]


def _centre(box):
    t, l, b, r = box
    return np.array([(t + b) / 2, (l + r) / 2])


def _relation(a, b):
    """Words relating box a to box b ("a above b")."""
    d = _centre(b) - _centre(a)
    axis = int(np.argmax(np.abs(d)))
    if abs(d[1 - axis]) > abs(d[axis]) / 2 + 0.5:
        raise AssertionError(f"ambiguous layout {a} {b}")  # _place rules this out
    return RELATIONS[(axis, int(np.sign(d[axis])))]


def _relation_words(boxes):
    return [_relation(boxes[i], boxes[i + 1]) for i in range(len(boxes) - 1)]


def compose_scenes(digits, labels, n, rng, max_objects=3):
    """``n`` scenes drawn from the given digit images (uint8 (M, 28, 28)) and labels."""
    images = np.zeros((n, 1, CANVAS, CANVAS), np.float32)
    boxes = np.full((n, max_objects, 4), -1, np.int64)
    captions, object_words = [], []
    for i in range(n):
        k = int(rng.integers(1, max_objects + 1))
        placed = None
        while placed is None:
            size_names = [("small", "large")[int(rng.integers(2))] for _ in range(k)]
            axis = 1 if k == 3 else int(rng.integers(2))  # three digits: always a row
            placed = _place(rng, [SIZES[s] for s in size_names], axis)
        if k == 2 and rng.integers(2):  # "below" / "right of": the first-named object comes later
            placed, size_names = placed[::-1], size_names[::-1]
        picks = rng.integers(0, len(digits), size=k)
        words, where = [], []
        rels = _relation_words(placed)
        for j, (box, size_name, p) in enumerate(zip(placed, size_names, picks)):
            t, l, b, r = box
            images[i, 0, t:b, l:r] = np.maximum(images[i, 0, t:b, l:r],
                                                _resize(digits[p], b - t))
            if j:
                words += list(rels[j - 1])
            words += ["a", size_name, DIGIT_WORDS[int(labels[p])]]
            where.append(len(words) - 1)
            boxes[i, j] = box
        captions.append(words)
        object_words.append(where)
    return Scenes(images, captions, boxes, object_words)


def load_caption_scenes(split="train", n=None, seed=0, root=None, verify=True):
    """The captioned scenes of one split (default sizes: 12000 train, 1000 val, 1000 test).

    Args:
        split: ``"train"``, ``"val"`` or ``"test"``; n: number of scenes; seed: generator seed
            (each split draws from its own stream of it); root, verify: as ``load_mnist``.
    """
    defaults = {"train": 12000, "val": 1000, "test": 1000}
    if split not in defaults:
        raise ValueError(f"load_caption_scenes: split should be 'train', 'val' or 'test', "
                         f"got {split!r}")
    n = defaults[split] if n is None else int(n)
    if n < 1:
        raise ValueError(f"load_caption_scenes: n should be >= 1, got {n}")
    images, labels = load_mnist("test" if split == "test" else "train", root=root, verify=verify)
    if split != "test":  # train and val draw from disjoint halves of MNIST's training images
        half = len(images) // 2
        sl = slice(0, half) if split == "train" else slice(half, None)
        images, labels = images[sl], labels[sl]
    stream = {"train": 0, "val": 1, "test": 2}[split]
    rng = np.random.default_rng([seed, stream])
    return compose_scenes(images, labels, n, rng)
