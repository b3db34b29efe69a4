"""Image plots: conv filters, feature maps, attention heatmaps with tokens, caption attention,
confusion matrices."""
from __future__ import annotations

import math

import numpy as np

from ._mpl import new_figure, save


def _grid(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _image_panels(images, path, title, cmap, labels=None):
    n = len(images)
    rows, cols = _grid(n)
    fig = new_figure(1.3 * cols + 0.4, 1.3 * rows + 0.6)
    for i, img in enumerate(images):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(img, cmap=None if img.ndim == 3 else cmap, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if labels is not None:
            ax.set_title(labels[i], fontsize=7)
    fig.suptitle(title)
    return save(fig, path)


def plot_filters(weight, path, title: str = "conv filters", max_filters: int = 64):
    """The kernels of a conv layer, one panel per output channel.

    With 3 input channels each kernel is drawn as an RGB image, otherwise its first input
    channel in grey; each panel is min-max normalised on its own.

    Shape: weight (C_out, C_in, kH, kW)
    """
    w = np.asarray(getattr(weight, "array", weight), dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected a conv weight (C_out, C_in, kH, kW), got "
                         f"{w.shape}")
    w = w[:max_filters]
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - lo
    w = (w - lo) / np.where(span > 0, span, 1.0)
    images = [k.transpose(1, 2, 0) if k.shape[0] == 3 else k[0] for k in w]
    return _image_panels(images, path, title, "gray")


def plot_feature_maps(maps, path, title: str = "feature maps", max_maps: int = 64):
    """The activations of one example after a conv layer, one panel per channel.

    Shape: maps (C, H, W) (or (1, C, H, W))
    """
    m = np.asarray(getattr(maps, "array", maps), dtype=np.float64)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected (C, H, W), got {m.shape}")
    return _image_panels(list(m[:max_maps]), path, title, "viridis",
                         labels=[f"ch {i}" for i in range(min(len(m), max_maps))])


def plot_attention(weights, source_tokens, target_tokens, path, title: str = "attention"):
    """Heatmap of attention weights: row i = output token i, column j = input token j.

    Shape: weights (T_out, T_in); len(source_tokens) == T_in, len(target_tokens) == T_out
    """
    a = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
    if a.ndim != 2 or a.shape != (len(target_tokens), len(source_tokens)):
        raise ValueError(f"plot_attention: weights {a.shape} do not match "
                         f"{len(target_tokens)} target x {len(source_tokens)} source tokens")
    fig = new_figure(0.45 * len(source_tokens) + 2.5, 0.45 * len(target_tokens) + 1.8)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(a, cmap="viridis", vmin=0.0, vmax=max(a.max(), 1e-12), aspect="auto")
    ax.set_xticks(range(len(source_tokens)))
    ax.set_xticklabels(source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(target_tokens)))
    ax.set_yticklabels(target_tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return save(fig, path)


def plot_caption(image, words, attention, path, reference=None):
    """An image and its caption; with attention, one panel per word with α overlaid.

    Each word's weights over the L = s×s feature grid are upsampled to the image (nearest) and
    drawn over it; the panel's title is the word.

    Shape: image (H, W); attention (len(words), L) or None
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"plot_caption: expected a grey image (H, W), got {img.shape}")
    title = " ".join(words) + (f"\n(reference: {reference})" if reference else "")
    if attention is None or not len(words):
        fig = new_figure(3.0, 3.4)
        ax = fig.add_subplot(1, 1, 1)
        ax.imshow(img, cmap="gray")
        ax.axis("off")
        fig.suptitle(title, fontsize=8)
        return save(fig, path)
    a = np.asarray(attention, dtype=np.float64)
    side = int(round(math.sqrt(a.shape[-1])))
    if a.shape != (len(words), side * side):
        raise ValueError(f"plot_caption: attention {a.shape} does not match {len(words)} words "
                         f"over a square grid")
    cols = len(words) + 1
    fig = new_figure(1.6 * cols, 2.2)
    ax = fig.add_subplot(1, cols, 1)
    ax.imshow(img, cmap="gray")
    ax.set_title("image", fontsize=8)
    ax.axis("off")
    h, w = img.shape
    for i, word in enumerate(words):
        grid = a[i].reshape(side, side)
        up = grid[np.arange(h) * side // h][:, np.arange(w) * side // w]
        ax = fig.add_subplot(1, cols, i + 2)
        ax.imshow(img, cmap="gray")
        ax.imshow(up, cmap="inferno", alpha=0.6, vmin=0.0, vmax=max(grid.max(), 1e-12))
        ax.set_title(word, fontsize=8)
        ax.axis("off")
    fig.suptitle(title, fontsize=8)
    return save(fig, path)


def plot_confusion_matrix(matrix, path, labels=None, normalize: bool = True,
                          title: str = "confusion matrix"):
    """Confusion matrix ``M[true, predicted]``, rows normalised to recall when ``normalize``.

    Shape: matrix (K, K)
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (K, K) matrix, got {m.shape}")
    k = m.shape[0]
    labels = [str(i) for i in range(k)] if labels is None else [str(x) for x in labels]
    if len(labels) != k:
        raise ValueError(f"plot_confusion_matrix: {len(labels)} labels for {k} classes")
    shown = m / np.maximum(m.sum(axis=1, keepdims=True), 1) if normalize else m
    fig = new_figure(0.5 * k + 2.5, 0.5 * k + 2.0)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(shown, cmap="Blues")
    ax.set_xticks(range(k))
    ax.set_xticklabels(labels, rotation=45, ha="right")
    ax.set_yticks(range(k))
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(m[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if shown[i, j] > 0.5 * shown.max() else "black")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return save(fig, path)
