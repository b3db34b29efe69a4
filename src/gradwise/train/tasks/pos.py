"""pos: part-of-speech tagging of UD English-EWT (r2.13) with a BiLSTM tagger.

Words and their universal POS tags (17 UPOS tags) from the CoNLL-U files, skipping multiword
tokens and empty nodes: 12,544 / 2,001 / 2,077 sentences for train / dev / test. The tagger
reads the whole sentence in both directions (Graves & Schmidhuber 2005; a BiLSTM with word
embeddings typically reaches about 93–95% token accuracy; UDPipe 1.2: 94.4%). Padded positions
carry the target -100 and are ignored by the loss and by the token accuracy.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import nn
from ...data import DataLoader, Vocab, pad_collate
from ...data.datasets import UPOS_TAGS, load_ud_ewt
from ...functional.loss import cross_entropy
from ...nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ..checkpoint import load_checkpoint, restore_checkpoint
from ..logging import save_artifact
from ..metrics import Accuracy, MacroF1
from ..trainer import StepOutput, evaluate_model
from .common import Parts, TaskConfig, limit_count, report, seed_everything, train_task

DESCRIPTION = "UPOS tagging of UD English-EWT with a BiLSTM tagger"
IGNORE = -100


@dataclasses.dataclass
class Config(TaskConfig):
    embed_size: int = 100
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.3
    min_freq: int = 2
    batch_size: int = 32


class BiLSTMTagger(nn.Module):
    """Embedding → bidirectional LSTM (packed) → Linear per token.

    Shape: tokens (N, L) int64, lengths (N,) -> logits (N, L, num_tags)
    """

    def __init__(self, vocab_size: int, num_tags: int, embed_size: int = 100,
                 hidden_size: int = 128, num_layers: int = 1, dropout: float = 0.3,
                 padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, tokens, lengths):
        L = tokens.shape[1]
        emb = self.dropout(self.embedding(tokens))                        # (N, L, E)
        packed = pack_padded_sequence(emb, np.asarray(getattr(lengths, "data", lengths)),
                                      batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # (N, L, 2H)
        return self.fc(self.dropout(out))                                 # (N, L, T)


def _step(model, batch, training):
    tokens, lengths, _, tags = batch                                      # (N, L) ×2
    logits = model(tokens, lengths)                                       # (N, L, T)
    loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1),
                         ignore_index=IGNORE)
    return StepOutput(loss, int((tags.data != IGNORE).sum()), logits, tags)


def _splits(config: Config):
    train = load_ud_ewt("train", root=config.data_root)
    dev = load_ud_ewt("dev", root=config.data_root)
    test = load_ud_ewt("test", root=config.data_root)
    return (train[:limit_count(len(train), config.limit)],
            dev[:limit_count(len(dev), config.limit, 0.2)],
            test[:limit_count(len(test), config.limit, 0.2)])


def _encode(vocab: Vocab, tag_index: dict, sentences):
    return [(np.asarray(vocab.encode(words), np.int64),
             np.asarray([tag_index[t] for t in tags], np.int64)) for words, tags in sentences]


def _loader(samples, batch_size, shuffle=False):
    return DataLoader(samples, batch_size=batch_size, shuffle=shuffle,
                      collate_fn=lambda b: pad_collate(b, pad_value=(0, IGNORE)))


def _test(model, vocab, test, run_dir, quiet):
    tag_index = {t: i for i, t in enumerate(UPOS_TAGS)}
    confusion = MacroF1(len(UPOS_TAGS))
    acc = Accuracy(ignore_index=IGNORE)
    loader = _loader(_encode(vocab, tag_index, test), 100)
    results = evaluate_model(model, loader, _step, [acc])
    # the confusion matrix over real tokens only
    for batch in loader:
        out = _step(model, batch, False)
        keep = out.targets.data != IGNORE
        confusion.update(out.outputs.data.argmax(-1)[keep], out.targets.data[keep])
    results = {"test_loss": results["loss"], "test_acc": results["acc"],
               "test_macro_f1": confusion.compute()}
    if run_dir is not None:
        save_artifact(run_dir, "confusion", {"matrix": confusion.matrix,
                                             "labels": list(UPOS_TAGS)})
    report(results, quiet)
    return results


def run(config: Config, run_dir, quiet=False, resume=False) -> dict:
    seed_everything(config)
    train, dev, test = _splits(config)
    vocab = Vocab.build([w for w, _ in train], min_freq=config.min_freq,
                        specials=("<pad>", "<unk>"))
    tag_index = {t: i for i, t in enumerate(UPOS_TAGS)}
    model_config = dict(vocab_size=len(vocab), num_tags=len(UPOS_TAGS),
                        embed_size=config.embed_size, hidden_size=config.hidden_size,
                        num_layers=config.num_layers, dropout=config.dropout)
    model = BiLSTMTagger(**model_config)
    if not quiet:
        print(f"pos: UD English-EWT {len(train)} / {len(dev)} / {len(test)} sentences, "
              f"vocabulary {len(vocab):,}, {len(UPOS_TAGS)} tags, "
              f"{sum(p.numel() for p in model.parameters()):,} parameters")
    parts = Parts(model, "bilstm-tagger", model_config,
                  _loader(_encode(vocab, tag_index, train), config.batch_size, shuffle=True),
                  _step, _loader(_encode(vocab, tag_index, dev), 100),
                  metrics=[Accuracy(ignore_index=IGNORE)], monitor="val_acc", mode="max",
                  extra={"vocab": vocab.to_json()})
    train_task("pos", config, parts, run_dir, quiet, resume)
    return _test(model, vocab, test, run_dir, quiet)


def evaluate(ckpt, quiet=False) -> dict:
    ckpt = load_checkpoint(ckpt)
    config = Config(**ckpt.extra["task_config"])
    model = BiLSTMTagger(**ckpt.model_config)
    restore_checkpoint(ckpt, model, restore_rng=False)
    _, _, test = _splits(config)
    return _test(model, Vocab.from_json(ckpt.extra["vocab"]), test, None, quiet)
