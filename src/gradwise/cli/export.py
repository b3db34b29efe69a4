"""``gradwise export RUN_DIR --onnx model.onnx``: a run's best checkpoint as an ONNX model.

The input signature comes from the run's task: images (N, C, 28, 28) float32 for mnist, token
ids (T, N) int64 for the language models (charlm, wordlm, poetry); batch and sequence length
are dynamic axes.
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np

from . import PROG, CLIError, _open_checkpoint, printable

LM_TASKS = ("charlm", "wordlm", "poetry")


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a run's best checkpoint to ONNX",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN_DIR", help="a run directory (or a ckpt-*.json file)")
    p.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    p.set_defaults(func=cmd_export)


def _best_checkpoint(run: str) -> str:
    """The run's best checkpoint (its index's "best"), else the path as given (latest)."""
    from ..train.checkpoint import CheckpointError, find_checkpoint

    path = pathlib.Path(run)
    if not path.is_dir():
        return run
    try:
        return str(find_checkpoint(path, "best"))
    except CheckpointError:
        return run


def signature(task_name: str, model, extra: dict):
    """(example inputs, input names, output names, dynamic axes) of a task's model."""
    if task_name == "mnist":
        channels = 3 if extra.get("rgb") else 1
        x = np.zeros((1, channels, 28, 28), np.float32)
        return (x,), ["image"], ["logits"], {"image": {0: "batch"}, "logits": {0: "batch"}}
    if task_name in LM_TASKS:
        tokens = np.zeros((4, 1), np.int64)  # (T, N)
        states = ["h_n", "c_n"] if getattr(model, "cell", "") == "lstm" else ["h_n"]
        axes = {"tokens": {0: "seq", 1: "batch"}, "logits": {0: "seq", 1: "batch"}}
        axes.update({s: {1: "batch"} for s in states})
        return (tokens,), ["tokens"], ["logits", *states], axes
    raise CLIError(f"'{PROG} export' has no input signature for task {task_name!r}",
                   f"supported tasks: mnist, {', '.join(LM_TASKS)}; from Python call "
                   "gradwise.onnx.export(model, example_inputs, 'model.onnx')")


def cmd_export(args) -> int:
    try:
        import gradwise.onnx as gx
    except ImportError:
        raise CLIError("ONNX export needs the onnx package, which is not installed",
                       "pip install 'gradwise[onnx]'   (or pip install onnx)") from None
    from ..train.checkpoint import restore_checkpoint

    ckpt, task = _open_checkpoint(_best_checkpoint(args.run))
    task_name = ckpt.extra["task"]
    model = task.model_from_checkpoint(ckpt)
    restore_checkpoint(ckpt, model, restore_rng=False)
    model.eval()
    inputs, in_names, out_names, axes = signature(task_name, model, ckpt.extra)
    try:
        gx.export(model, inputs, args.onnx, input_names=in_names, output_names=out_names,
                  dynamic_axes=axes, opset_version=args.opset)
    except gx.ExportError as e:
        raise CLIError(str(e), "this model uses an op the exporter does not map") from None
    print(printable(f"exported {ckpt.path} ({task_name}, model {ckpt.model_name}, step "
                    f"{ckpt.step}) to {args.onnx}"))
    print(printable(f"inputs {', '.join(in_names)}; outputs {', '.join(out_names)}"))
    return 0
