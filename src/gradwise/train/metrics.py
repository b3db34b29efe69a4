"""Evaluation metrics: accuracy, perplexity, corpus BLEU-4, token accuracy, macro-F1, solved.

Each metric is a plain function of NumPy arrays (or gradwise Tensors, read through ``.array``),
plus a running ``Metric`` accumulator so a trainer can sum statistics over batches and compute
the corpus-level value once (BLEU and perplexity are NOT the mean of per-batch values).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Iterable, Sequence

import numpy as np


def _array(x) -> np.ndarray:
    return np.asarray(getattr(x, "array", x))


# -- classification ------------------------------------------------------------------------------
def accuracy(logits_or_pred, targets) -> float:
    """Fraction of correct predictions.

    Args:
        logits_or_pred: scores ``(N, C)`` (argmax over the last axis is taken) or predicted
            class indices ``(N,)``.
        targets: class indices ``(N,)``.

    Shape: (N, C) or (N,), targets (N,) -> scalar
    """
    pred, targets = _predictions(logits_or_pred, targets, "accuracy")
    if targets.size == 0:
        raise ValueError("accuracy: got no examples")
    return float((pred == targets).mean())


def _predictions(logits_or_pred, targets, who):
    scores, targets = _array(logits_or_pred), _array(targets)
    pred = scores.argmax(-1) if scores.ndim == targets.ndim + 1 else scores
    if pred.shape != targets.shape:
        raise ValueError(
            f"{who}: predictions of shape {pred.shape} (from input {scores.shape}) do not match "
            f"targets of shape {targets.shape}"
        )
    return pred, targets


def token_accuracy(logits_or_pred, targets, ignore_index: int | None = None) -> float:
    """Accuracy over tokens, skipping positions where ``targets == ignore_index`` (padding).

    Shape: (..., C) or (...), targets (...) -> scalar
    """
    correct, total = token_accuracy_counts(logits_or_pred, targets, ignore_index)
    if total == 0:
        raise ValueError("token_accuracy: every target position is ignore_index")
    return correct / total


def token_accuracy_counts(logits_or_pred, targets, ignore_index=None) -> tuple[int, int]:
    """(number correct, number counted) for :func:`token_accuracy`; sums across batches."""
    pred, targets = _predictions(logits_or_pred, targets, "token_accuracy")
    keep = np.ones(targets.shape, bool) if ignore_index is None else targets != ignore_index
    return int(((pred == targets) & keep).sum()), int(keep.sum())


def confusion_matrix(pred, targets, num_classes: int | None = None) -> np.ndarray:
    """Counts ``M[i, j]`` of examples with true class i predicted as j.

    Shape: pred (N,) or (N, C), targets (N,) -> (K, K) int64, K = num_classes or max label + 1
    """
    pred, targets = _predictions(pred, targets, "confusion_matrix")
    pred, targets = pred.astype(np.int64).ravel(), targets.astype(np.int64).ravel()
    k = num_classes if num_classes is not None else int(max(pred.max(initial=-1),
                                                            targets.max(initial=-1))) + 1
    if pred.size and (min(pred.min(), targets.min()) < 0 or max(pred.max(), targets.max()) >= k):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {k}), got "
                         f"[{min(pred.min(), targets.min())}, {max(pred.max(), targets.max())}]")
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (targets, pred), 1)
    return m


def macro_f1(pred, targets, num_classes: int | None = None) -> float:
    """Unweighted mean over classes of F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c).

    The mean runs over the classes that occur in ``targets`` or ``pred`` (scikit-learn's
    ``f1_score(average="macro")``); classes that occur in neither are left out rather than
    counted as F1 = 0.

    Shape: pred (N,) or (N, C), targets (N,) -> scalar
    """
    return macro_f1_from_confusion(confusion_matrix(pred, targets, num_classes))


def macro_f1_from_confusion(m: np.ndarray) -> float:
    """Macro-F1 from a confusion matrix ``M[true, pred]`` (see :func:`macro_f1`)."""
    tp = np.diag(m).astype(np.float64)
    fp = m.sum(axis=0) - tp           # predicted c, true class another
    fn = m.sum(axis=1) - tp           # true c, predicted another
    present = (m.sum(axis=0) + m.sum(axis=1)) > 0
    if not present.any():
        raise ValueError("macro_f1: got no examples")
    f1 = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return float(f1.mean())


# -- language modelling --------------------------------------------------------------------------
def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood per token), the LM metric (nats in, perplexity out).

    Average the NLL over ALL tokens of the corpus first (sum of losses / number of tokens), then
    exponentiate; the mean of per-batch perplexities is a different, larger number.
    """
    return float(math.exp(min(float(mean_nll), 700.0)))  # exp(700) is near the float64 max


# -- BLEU ------------------------------------------------------------------------------------------
def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(references: Sequence[Sequence[str]], hypothesis: Sequence[str],
                       n: int) -> tuple[int, int]:
    """Clipped n-gram matches and n-gram count of one hypothesis (Papineni et al. 2002, §2.1).

    Each hypothesis n-gram counts at most as often as it occurs in any single reference:
    ``Count_clip = min(Count, max_ref Count_ref)``.

    Returns:
        ``(sum of clipped counts, number of hypothesis n-grams)``.
    """
    counts = _ngrams(hypothesis, n)
    max_ref = Counter()
    for ref in references:
        for gram, c in _ngrams(ref, n).items():
            max_ref[gram] = max(max_ref[gram], c)
    clipped = sum(min(c, max_ref[gram]) for gram, c in counts.items())
    return clipped, max(len(hypothesis) - n + 1, 0)


def _closest_ref_length(references, hyp_len: int) -> int:
    # the reference length closest to the hypothesis length; ties go to the shorter one
    return min((abs(len(r) - hyp_len), len(r)) for r in references)[1]


class BLEUStats:
    """Sufficient statistics of corpus BLEU-N: clipped matches and totals per order, lengths."""

    def __init__(self, max_n: int = 4):
        if max_n < 1:
            raise ValueError(f"BLEU: max_n must be >= 1, got {max_n}")
        self.max_n = max_n
        self.matches = [0] * max_n
        self.totals = [0] * max_n
        self.hyp_len = 0
        self.ref_len = 0

    def add(self, references: Sequence[Sequence[str]], hypothesis: Sequence[str]) -> None:
        """Add one segment: its references (a list of token lists) and its hypothesis tokens."""
        if isinstance(hypothesis, str) or any(isinstance(r, str) for r in references):
            raise TypeError("BLEU: pass token lists (e.g. 'a b'.split()), not strings")
        if len(references) == 0:
            raise ValueError("BLEU: every hypothesis needs at least one reference")
        for n in range(1, self.max_n + 1):
            m, t = modified_precision(references, hypothesis, n)
            self.matches[n - 1] += m
            self.totals[n - 1] += t
        self.hyp_len += len(hypothesis)
        self.ref_len += _closest_ref_length(references, len(hypothesis))

    def brevity_penalty(self) -> float:
        """BP = 1 if c > r else exp(1 − r/c), with c, r the corpus hypothesis/reference lengths."""
        c, r = self.hyp_len, self.ref_len
        if c == 0:
            return 0.0
        return 1.0 if c > r else math.exp(1.0 - r / c)

    def score(self, smooth: bool = False) -> float:
        """BLEU = BP · exp(Σ_n (1/N) log p_n), p_n = Σ clipped matches / Σ n-gram counts.

        Args:
            smooth: add one to the numerator and denominator of p_n for n ≥ 2 (Lin & Och 2004,
                "smoothing 2"), so short corpora without a 4-gram match do not score exactly 0.
        """
        log_p = 0.0
        for n, (m, t) in enumerate(zip(self.matches, self.totals), start=1):
            if smooth and n > 1:
                m, t = m + 1, t + 1
            if m == 0 or t == 0:
                return 0.0
            log_p += math.log(m / t) / self.max_n
        return self.brevity_penalty() * math.exp(log_p)


def corpus_bleu(references: Iterable[Sequence[Sequence[str]]], hypotheses: Iterable[Sequence[str]],
                max_n: int = 4, smooth: bool = False) -> float:
    """Corpus-level BLEU-N with brevity penalty (Papineni et al. 2002), in [0, 1].

    Clipped n-gram matches and n-gram counts are summed over ALL segments before the
    precisions are formed (not an average of sentence BLEU), and the brevity penalty uses the
    summed hypothesis length c and the summed closest-reference lengths r.

    Args:
        references: for each segment, a list of reference token lists.
        hypotheses: for each segment, the hypothesis token list.
        max_n: highest n-gram order (4 for BLEU-4), uniform weights 1/max_n.
        smooth: see :meth:`BLEUStats.score`.
    """
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} "
                         f"reference sets")
    stats = BLEUStats(max_n)
    for refs, hyp in zip(references, hypotheses):
        stats.add(refs, hyp)
    return stats.score(smooth)


# -- running accumulators used by the Trainer ---------------------------------------------------
class Metric:
    """A running metric: ``update(outputs, targets)`` per batch, ``compute()`` at the end.

    ``state_dict()`` holds its attributes, JSON-able (the counters ``reset()`` sets, arrays such
    as a confusion matrix as lists, and its settings); ``load_state_dict`` puts them back, so the
    Trainer can checkpoint a metric mid-epoch and restore it after a validation pass.
    """

    name = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, outputs, targets) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in vars(self).items() if not callable(v)}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, np.asarray(v) if isinstance(v, list) else v)


class Accuracy(Metric):
    """Running (token) accuracy; positions with ``targets == ignore_index`` are skipped."""

    def __init__(self, ignore_index: int | None = None, name: str = "acc"):
        self.ignore_index, self.name = ignore_index, name
        self.reset()

    def reset(self):
        self.correct = self.total = 0

    def update(self, outputs, targets):
        c, t = token_accuracy_counts(outputs, targets, self.ignore_index)
        self.correct += c
        self.total += t

    def compute(self):
        return self.correct / self.total if self.total else float("nan")


class MacroF1(Metric):
    """Running macro-F1 through an accumulated confusion matrix."""

    def __init__(self, num_classes: int, name: str = "macro_f1"):
        self.num_classes, self.name = num_classes, name
        self.reset()

    def reset(self):
        self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)

    def update(self, outputs, targets):
        self.matrix += confusion_matrix(outputs, targets, self.num_classes)

    def compute(self):
        return macro_f1_from_confusion(self.matrix) if self.matrix.any() else float("nan")


class Solved(Metric):
    """Fraction of predictions within ``tolerance`` of their target: |prediction − target| <
    tolerance (the adding problem counts a sequence as solved at 0.04)."""

    def __init__(self, tolerance: float = 0.04, name: str = "solved"):
        self.tolerance, self.name = tolerance, name
        self.reset()

    def reset(self):
        self.hits = self.total = 0

    def update(self, outputs, targets):
        err = np.abs(_array(outputs) - _array(targets))
        self.hits += int((err < self.tolerance).sum())
        self.total += err.size

    def compute(self):
        return self.hits / self.total if self.total else float("nan")
