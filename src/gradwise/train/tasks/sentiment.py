"""sentiment: movie-review polarity (MR, Pang & Lee 2005) with TextCNN or a recurrent encoder.

MR has 5331 positive + 5331 negative snippets and no fixed split (Kim 2014 reports 10-fold
cross-validation: CNN-rand 76.1%); here a seeded shuffle keeps 10% for test and 10% of the rest
for validation, or, with ``--folds K``, each of K folds of the shuffle is the test set once
(10% of the other folds validate) and the mean test accuracy is reported (``cv_acc``).
``--max-norm s`` applies Kim's constraint to TextCNN's output weights after every step, and
``--restore-best`` tests the epoch with the best validation accuracy (Kim's early stopping). Models: ``textcnn`` (Kim 2014, filter widths 3/4/5, max-over-time pooling,
Adadelta-style settings are options) or ``lstm`` / ``bilstm`` / ``gru`` encoders whose last
hidden states (both directions for ``bilstm``) feed a linear classifier; padded batches are
packed so every sequence ends at its own length.
"""
from __future__ import annotations

import dataclasses
import pathlib
import sys

import numpy as np

from ... import models
from ...core.random import manual_seed
from ...data import DataLoader, Vocab, pad_collate
from ...data.datasets import load_mr
from ...functional.loss import cross_entropy
from ...models.rnn_classifier import RNNClassifier
from ..callbacks import MaxNorm, RestoreBest
from ..logging import save_artifact
from ..metrics import Accuracy, MacroF1
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig, limit_splits, report, train_and_test

DESCRIPTION = "MR sentence polarity with textcnn | lstm | bilstm | gru"
MODELS = ("textcnn", "lstm", "bilstm", "gru")
MIN_LEN = 5                      # TextCNN's widest filter


@dataclasses.dataclass
class Config(TaskConfig):
    model: str = "textcnn"       # textcnn | lstm | bilstm | gru
    embed_size: int = 128
    hidden_size: int = 128       # recurrent models
    num_filters: int = 100       # textcnn: maps per filter width
    dropout: float = 0.5
    min_freq: int = 1
    batch_size: int = 50
    folds: int = 0               # K >= 2: K-fold cross-validation (Kim 2014: 10); 0: one split
    max_norm: float = 0.0        # textcnn: l2 max-norm of output-weight rows (Kim: 3); 0: off
    wide: bool = False           # textcnn: wide convolution, h − 1 zero words at both ends (Kim)
    restore_best: bool = False   # test the checkpoint with the best val accuracy

    def validate(self):
        super().validate()
        if self.folds == 1 or self.folds < 0:
            raise ValueError(f"--folds must be 0 (one split) or >= 2, got {self.folds}")
        if self.max_norm < 0:
            raise ValueError(f"--max-norm must be >= 0 (0: off), got {self.max_norm}")
        if self.max_norm and self.model != "textcnn":
            raise ValueError(f"--max-norm constrains TextCNN; --model is {self.model!r}")
        if self.wide and self.model != "textcnn":
            raise ValueError(f"--wide is a TextCNN option; --model is {self.model!r}")
        self.check_choice("model", MODELS)


def fold_indices(order: np.ndarray, folds: int, fold: int | None):
    """(train, val, test) index arrays: the first 10% of ``order`` test (``fold`` None) or
    fold ``fold`` of ``folds`` near-equal chunks does; 10% of the rest validates."""
    if fold is None:
        n_test = len(order) // 10
        test, rest = order[:n_test], order[n_test:]
    else:
        if not 0 <= fold < folds:
            raise ValueError(f"fold_indices: fold {fold} is not in [0, {folds})")
        chunks = np.array_split(order, folds)
        test = chunks[fold]
        rest = np.concatenate([c for i, c in enumerate(chunks) if i != fold])
    n_val = len(rest) // 10
    return rest[n_val:], rest[:n_val], test


def _split(config: Config, rng, fold: int | None = None):
    texts, labels = load_mr(root=config.data_root)
    order = rng.permutation(len(labels))
    train, val, test = fold_indices(order, config.folds, fold)
    train, val, test = limit_splits(config.limit, train, val, test)
    tok = [t.split() for t in texts]
    return ([tok[i] for i in train], labels[train]), ([tok[i] for i in val], labels[val]), \
        ([tok[i] for i in test], labels[test])


def _encode(vocab: Vocab, split):
    tokens, labels = split
    samples = []
    for words, y in zip(tokens, labels):
        ids = vocab.encode(words) or [vocab.stoi["<pad>"]]
        ids += [vocab.stoi["<pad>"]] * max(0, MIN_LEN - len(ids))   # TextCNN needs >= 5 steps
        samples.append((np.asarray(ids, np.int64), int(y)))
    return samples


def _step(model, batch, training):
    tokens, lengths, _, y = batch
    logits = model(tokens) if isinstance(model, models.TextCNN) else model(tokens, lengths)
    return StepOutput(cross_entropy(logits, y), len(y), logits, y)


def model_from_checkpoint(ckpt):
    if ckpt.model_name == "textcnn":
        return models.create("textcnn", **ckpt.model_config)
    return RNNClassifier(**ckpt.model_config)


def run(config: Config, run_dir, quiet=False, resume=False) -> dict:
    """One split, or ``--folds K`` runs (one per fold, in ``run_dir/fold-k``) and their mean."""
    config.validate()
    if not config.folds:
        return train_and_test(sys.modules[__name__], config, run_dir, quiet, resume)[1]
    if resume:
        raise ValueError("--resume is not supported with --folds; rerun the cross-validation")
    manual_seed(config.seed)           # once: the folds' models continue the library RNG
    accs = []
    for fold in range(config.folds):
        if not quiet:
            print(f"fold {fold + 1}/{config.folds}")
        _, out = train_and_test(sys.modules[__name__], config,
                                pathlib.Path(run_dir) / f"fold-{fold}", quiet,
                                parts=build(config, fold))
        accs.append(out["test_acc"])
    results = {"cv_acc": float(np.mean(accs)), "cv_acc_std": float(np.std(accs)),
               "folds": config.folds, **{f"fold_{i}_acc": a for i, a in enumerate(accs)}}
    report(results, quiet, title=f"{config.folds}-fold cross-validation")
    return results


def build(config: Config, fold: int | None = None) -> Parts:
    """The model and loaders of the single split, or of cross-validation fold ``fold``."""
    train, val, test_split = _split(config, np.random.default_rng(config.seed), fold)
    vocab = Vocab.build(train[0], min_freq=config.min_freq, specials=("<pad>", "<unk>"))
    if config.model == "textcnn":
        name = "textcnn"
        model_config = dict(vocab_size=len(vocab), embedding_dim=config.embed_size,
                            num_filters=config.num_filters, dropout=config.dropout)
        if config.max_norm:
            model_config["max_norm"] = config.max_norm
        if config.wide:
            model_config["wide"] = True
        model = models.create("textcnn", **model_config)
    else:
        name = "rnn-classifier"
        model_config = dict(vocab_size=len(vocab), embed_size=config.embed_size,
                            hidden_size=config.hidden_size, cell="gru" if config.model == "gru"
                            else "lstm", bidirectional=config.model == "bilstm",
                            dropout=config.dropout)
        model = RNNClassifier(**model_config)
    loader = DataLoader(_encode(vocab, train), batch_size=config.batch_size, shuffle=True,
                        collate_fn=pad_collate)
    val_loader = DataLoader(_encode(vocab, val), batch_size=200, collate_fn=pad_collate)
    callbacks = ([MaxNorm()] if config.max_norm else []) + (
        [RestoreBest()] if config.restore_best else [])
    return Parts(model, name, model_config, loader, _step, val_loader,
                 metrics=[Accuracy(), MacroF1(2)], monitor="val_acc", mode="max",
                 extra={"vocab": vocab.to_json(), "fold": fold}, callbacks=callbacks,
                 summary=f"MR {len(train[1])} train / {len(val[1])} val / {len(test_split[1])} "
                         f"test sentences, vocabulary {len(vocab):,}, {config.model}")


def test(model, config: Config, run_dir, extra) -> dict:
    """Test accuracy and macro F1 of the split (or fold) the model was trained on."""
    vocab = Vocab.from_json(extra["vocab"])
    _, _, test_split = _split(config, np.random.default_rng(config.seed), extra.get("fold"))
    loader = DataLoader(_encode(vocab, test_split), batch_size=200, collate_fn=pad_collate)
    confusion = MacroF1(2)
    results = evaluate_model(model, loader, _step, [Accuracy(), confusion])
    if run_dir is not None:
        save_artifact(run_dir, "confusion", {"matrix": confusion.matrix,
                                             "labels": ["negative", "positive"]})
    return {f"test_{k}": v for k, v in results.items()}
