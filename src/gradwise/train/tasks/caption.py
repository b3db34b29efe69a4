"""caption: image captioning with visual attention on captioned MNIST scenes (seed 002; Xu et
al. 2015 "Show, Attend and Tell"; ``--no-attention``: Vinyals et al. 2015 "Show and Tell").

The scenes (``data.datasets.scenes``) are 64×64 canvases of one to three real MNIST digits with
captions such as "a small two left of a large seven". The loss is the captions' cross-entropy
plus λ Σ_i (1 − Σ_t α_ti)² (``--penalty`` λ). The test reports corpus BLEU-4 and exact-caption
accuracy of greedy (or ``--beam K``) captions, and, with attention, the share of object words
whose attention peak (the grid cell of largest α while the model writes the word, given the
true caption so far) overlaps that object's box.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import models
from ...core import no_grad
from ...core.tensor import Tensor
from ...data import DataLoader, TensorDataset, Vocab
from ...data.datasets.scenes import CANVAS, DIGIT_WORDS, RELATIONS, SIZES, load_caption_scenes
from ...functional.loss import cross_entropy
from ...models.captioner import doubly_stochastic_penalty
from ..checkpoint import load_checkpoint, restore_checkpoint
from ..logging import save_artifact
from ..metrics import corpus_bleu
from ..trainer import StepOutput
from .common import Parts, TaskConfig, limit_count

DESCRIPTION = "image captioning with soft attention (Show, Attend and Tell) on MNIST scenes"
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


@dataclasses.dataclass
class Config(TaskConfig):
    attention: bool = True           # soft attention; --no-attention: Show and Tell baseline
    train_size: int = 12000          # training scenes (validation and test: 1000 each)
    hidden_size: int = 128
    embedding_dim: int = 32
    penalty: float = 0.002           # λ of the doubly stochastic attention penalty
    context_gate: bool = False       # gating scalar β_t = σ(f_β(h_{t−1})) on the context
    beam: int = 1                    # beam width of the test captions (1: greedy)
    batch_size: int = 64
    lr: float = 2e-3

    def validate(self):
        super().validate()
        if self.train_size < 1:
            raise ValueError(f"--train-size must be >= 1, got {self.train_size}")
        if self.penalty < 0:
            raise ValueError(f"--penalty must be >= 0, got {self.penalty}")
        if self.context_gate and not self.attention:
            raise ValueError("--context-gate gates the attention context; it cannot be used "
                             "with --no-attention")
        if self.beam < 1:
            raise ValueError(f"--beam must be >= 1, got {self.beam}")
        for name in ("hidden_size", "embedding_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got "
                                 f"{getattr(self, name)}")


def caption_vocab() -> Vocab:
    """Every word the scene grammar can write, after the specials (fixed ids)."""
    words = ["a", *SIZES, *DIGIT_WORDS, *sorted({w for rel in RELATIONS.values() for w in rel})]
    return Vocab([PAD, "<unk>", BOS, EOS, *words], unk_token="<unk>")


def encode_captions(captions, vocab: Vocab) -> np.ndarray:
    """Word lists -> (N, T) ids: BOS, words, EOS, then PAD."""
    width = max(len(c) for c in captions) + 2
    ids = np.full((len(captions), width), vocab.stoi[PAD], np.int64)
    for i, words in enumerate(captions):
        row = [vocab.stoi[BOS], *(vocab.stoi[w] for w in words), vocab.stoi[EOS]]
        ids[i, :len(row)] = row
    return ids


def _scenes(config: Config, split: str):
    size = config.train_size if split == "train" else 1000
    fraction = 1.0 if split == "train" else 0.2
    return load_caption_scenes(split, n=limit_count(size, config.limit, fraction),
                               seed=config.seed, root=config.data_root)


def _loader(scenes, vocab, batch_size, shuffle):
    return DataLoader(TensorDataset(Tensor(scenes.images),
                                    Tensor(encode_captions(scenes.captions, vocab))),
                      batch_size=batch_size, shuffle=shuffle)


class CaptionStep:
    """Cross-entropy of the next word plus λ · the doubly stochastic penalty."""

    def __init__(self, penalty: float, pad_idx: int):
        self.penalty, self.pad_idx = penalty, pad_idx

    def __call__(self, model, batch, training):
        images, captions = batch
        logits, alphas = model(images, captions)
        targets = captions.array[:, 1:]
        real = targets != self.pad_idx
        loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), Tensor(targets.reshape(-1)),
                             ignore_index=self.pad_idx)
        if alphas is not None and self.penalty:
            loss = loss + self.penalty * doubly_stochastic_penalty(alphas, real)
        return StepOutput(loss, int(real.sum()), logits, Tensor(targets))


def _model_config(config: Config, vocab: Vocab) -> dict:
    return {"vocab_size": len(vocab.itos), "channels": list(models.CaptionerConfig.channels),
            "embedding_dim": config.embedding_dim,
            "hidden_size": config.hidden_size, "attention": config.attention,
            "context_gate": config.context_gate,
            "pad_idx": vocab.stoi[PAD], "bos_idx": vocab.stoi[BOS], "eos_idx": vocab.stoi[EOS]}


def build(config: Config) -> Parts:
    vocab = caption_vocab()
    train, val = _scenes(config, "train"), _scenes(config, "val")
    model_config = _model_config(config, vocab)
    kind = "attention" if config.attention else "no attention (Show and Tell)"
    return Parts(models.create("captioner", **model_config), "captioner", model_config,
                 _loader(train, vocab, config.batch_size, True),
                 CaptionStep(config.penalty, vocab.stoi[PAD]),
                 _loader(val, vocab, 256, False),
                 summary=f"{len(train)} scenes, {kind}")


def model_from_checkpoint(ckpt):
    return models.create("captioner", **ckpt.model_config)


def decode(model, images, beam: int):
    """Captions (token ids) and attention maps of a batch, greedy or by beam search."""
    if beam == 1:
        return model.greedy(images)
    out = [model.beam_search(images[i], beam_size=beam) for i in range(images.shape[0])]
    return [o[0] for o in out], [o[1] for o in out]


def attention_hits(model, scenes, vocab, batch_size=250) -> tuple[int, int]:
    """(object words whose attention peak overlaps their object, object words) under the true
    caption; a peak is the grid cell of largest α at the step that writes the word."""
    hits = total = 0
    with no_grad():
        for s in range(0, len(scenes), batch_size):
            idx = slice(s, s + batch_size)
            ids = encode_captions(scenes.captions[idx], vocab)
            _, alphas = model(Tensor(scenes.images[idx]), ids)
            a = alphas.array                                   # (n, T − 1, L)
            side = int(round(np.sqrt(a.shape[-1])))
            cell = CANVAS // side
            for n, words in enumerate(scenes.object_words[idx]):
                for obj, w in enumerate(words):
                    r, c = divmod(int(a[n, w].argmax()), side)  # the step writing word w
                    top, left, bottom, right = scenes.boxes[s + n, obj]
                    hits += (r * cell < bottom and top < (r + 1) * cell
                             and c * cell < right and left < (c + 1) * cell)
                    total += 1
    return hits, total


def test(model, config: Config, run_dir, extra) -> dict:
    """BLEU-4 and exact-caption accuracy on the test scenes; the attention-peak check."""
    vocab, scenes = caption_vocab(), _scenes(config, "test")
    hyps, maps = [], []
    model.eval()
    with no_grad():
        for s in range(0, len(scenes), 250):
            tokens, alphas = decode(model, Tensor(scenes.images[s:s + 250]), config.beam)
            hyps += [[vocab.itos[t] for t in seq] for seq in tokens]
            maps += alphas
    refs = scenes.captions
    results = {"test_bleu4": corpus_bleu([[r] for r in refs], hyps),
               "test_exact": float(np.mean([h == r for h, r in zip(hyps, refs)]))}
    if config.attention:
        hits, total = attention_hits(model, scenes, vocab)
        results["test_attention_on_object"] = hits / max(total, 1)
    if run_dir is not None:
        save_artifact(run_dir, "captions", {
            "images": scenes.images[:8, 0], "references": [" ".join(r) for r in refs[:8]],
            "captions": [" ".join(h) for h in hyps[:8]],
            "attention": [np.asarray(m).tolist() for m in maps[:8]] if config.attention else []})
    return results


def caption(ckpt, image: np.ndarray, beam: int = 1) -> dict:
    """The caption of one grey image (H, W) in [0, 1] (resized to 64×64 by nearest pixels)."""
    ckpt = load_checkpoint(ckpt)
    model = model_from_checkpoint(ckpt)
    restore_checkpoint(ckpt, model, restore_rng=False)
    model.eval()
    image = np.asarray(image, np.float32)
    if image.ndim != 2:
        raise ValueError(f"caption: expected a grey image (H, W), got shape {image.shape}")
    rows = (np.arange(CANVAS) * image.shape[0] // CANVAS)
    cols = (np.arange(CANVAS) * image.shape[1] // CANVAS)
    x = image[rows][:, cols][None, None]
    tokens, alphas = decode(model, Tensor(x), beam)
    vocab = caption_vocab()
    attention = alphas[0] if model.config.attention else None
    return {"words": [vocab.itos[t] for t in tokens[0]], "attention": attention, "image": x[0, 0]}
