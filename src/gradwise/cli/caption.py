"""``gradwise caption RUN IMAGE.png``: caption an image with a ``gradwise train caption`` run.

Prints the caption and, for an attention model, writes the image with each word's attention
map overlaid, one panel per word (``--out``, default ``IMAGE.caption.png``). The image is read
as grey levels in [0, 1] and resized to 64×64; digits should be light on a dark background, as
in MNIST. Reading and drawing PNGs needs matplotlib (``pip install 'gradwise[plot]'``).
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np

from . import CLIError, _open_checkpoint, printable


def add_parser(sub) -> None:
    p = sub.add_parser("caption", help="caption an image with a caption run",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", metavar="RUN", help="a caption run directory or checkpoint")
    p.add_argument("image", metavar="IMAGE", help="a PNG image")
    p.add_argument("--beam", type=int, default=1, help="beam width (default 1: greedy)")
    p.add_argument("--out", metavar="PNG", help="where to write the attention panels")
    p.set_defaults(func=cmd_caption)


def read_grey(path: str) -> np.ndarray:
    """A PNG as grey levels (H, W) in [0, 1] (RGB averaged, alpha dropped)."""
    from ..train.optional import require

    image = require("matplotlib.image", "reading images", "plot")
    if not pathlib.Path(path).is_file():
        raise CLIError(f"image not found: {printable(path)}")
    try:
        x = np.asarray(image.imread(path), dtype=np.float64)
    except (OSError, ValueError, SyntaxError) as e:
        raise CLIError(f"{printable(path)} is not a readable PNG ({printable(str(e))})") from None
    if x.ndim == 3:
        x = x[..., :3].mean(-1)
    if x.ndim != 2:
        raise CLIError(f"{printable(path)}: expected a grey or RGB image, got shape {x.shape}")
    return x / 255.0 if x.max() > 1.0 else x


def cmd_caption(args) -> int:
    ckpt, task = _open_checkpoint(args.checkpoint)
    if not hasattr(task, "caption"):
        raise CLIError(f"{ckpt.path} is a {ckpt.extra['task']!r} model, not a captioner",
                       "caption works with 'gradwise train caption' runs")
    if args.beam < 1:
        raise CLIError(f"--beam must be >= 1, got {args.beam}")
    out = task.caption(ckpt.path, read_grey(args.image), args.beam)
    print(printable(" ".join(out["words"])))
    if out["attention"] is not None and len(out["attention"]):
        from ..viz import plot_caption

        target = args.out or str(pathlib.Path(args.image).with_suffix(".caption.png"))
        path = plot_caption(out["image"], out["words"], out["attention"], target)
        print(f"attention panels: {path}")
    return 0
