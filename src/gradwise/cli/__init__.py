"""The ``gradwise`` command line.

    gradwise demo                                   the seeds' story in one command
    gradwise train TASK [--epochs N ...]            mnist charlm wordlm sentiment pos translate
                                                    poetry adding esn
    gradwise eval CKPT                              evaluate a checkpoint (or run directory)
    gradwise sample CKPT --prompt TEXT              sample a language model
    gradwise translate CKPT "sentence"              translate, with the attention table
    gradwise summary MODEL --input 1x3x224x224      per-layer shapes, parameters, MACs
    gradwise plot RUN                               PNG plots of a run directory
    gradwise plot RUN... --metric train/error --out F.png   one metric of several runs
    gradwise export RUN --onnx FILE                 a run's best checkpoint as ONNX
    gradwise bench                                  gradwise vs PyTorch timings

Errors a user can fix (bad flags or config files, missing data, a bad checkpoint or run
directory, a missing optional package) print ``gradwise: error: …`` and a hint on stderr and
exit with status 2, without a traceback, leaving no new files behind; set ``GRADWISE_DEBUG=1``
to see the traceback. They are :class:`gradwise.train.errors.UserError` (and the data and
dependency errors mapped in ``_hint_for``); any other exception is a bug: it shows its
traceback and how to report it, exit status 1.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import traceback
import typing

from .. import distributed as dist
from ..train.errors import UserError, read_json_file
from .checks import check_bounds, check_run_dir, checked_values, printable

PROG = "gradwise"
REPORT_URL = "https://github.com/gradwise/gradwise/issues"
CLIError = UserError   # the name this module used before UserError existed


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line plus a hint (no usage block)."""

    def error(self, message):
        raise CLIError(message, f"run '{self.prog} --help' for the options")


# -- train: flags generated from the task's dataclass config -------------------------------------
def _field_help(cls) -> dict:
    """The trailing ``# comment`` of every field line of a config class and its bases."""
    notes = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"^\s+(\w+):[^=\n]*=[^#\n]*#\s*(.+)$", source, re.M):
            notes[m.group(1)] = m.group(2).strip()
    return notes


def _field_type(field, hints):
    t = hints.get(field.name, str)
    args = [a for a in typing.get_args(t) if a is not type(None)]
    if args:  # Optional[X] / X | None
        t = args[0]
    return t


def add_config_flags(parser: argparse.ArgumentParser, config_cls) -> None:
    """One ``--kebab-case`` flag per config field; defaults stay in the dataclass (SUPPRESS),
    so that only the flags actually given override ``--config`` and ``--resume`` settings."""
    hints = typing.get_type_hints(config_cls)
    notes = _field_help(config_cls)
    for f in dataclasses.fields(config_cls):
        flag = "--" + f.name.replace("_", "-")
        t = _field_type(f, hints)
        text = notes.get(f.name, "")
        text = f"{text} (default: {f.default})" if text else f"default: {f.default}"
        if t is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=text)
        else:
            parser.add_argument(flag, dest=f.name, type=t, default=argparse.SUPPRESS,
                                metavar=t.__name__.upper(), help=text)


def build_config(task_module, args: argparse.Namespace, base: dict | None = None):
    """Config from (saved/--config values) ← explicit flags; unknown keys are an error."""
    cls = task_module.Config
    names = {f.name for f in dataclasses.fields(cls)}
    values = dict(base or {})
    if getattr(args, "config", None):
        source = f"--config {args.config}"
        loaded = read_json_file(args.config, source, hint="the file must hold one JSON object "
                                "of option names and values")
        if not isinstance(loaded, dict):
            raise CLIError(f"{source}: expected a JSON object, got {type(loaded).__name__}",
                           "the file must hold one JSON object of option names and values")
        loaded.pop("task", None)
        loaded = {str(k).replace("-", "_"): v for k, v in loaded.items()}
        values.update(checked_values(cls, {k: v for k, v in loaded.items() if k in names},
                                     source))
        values.update({k: v for k, v in loaded.items() if k not in names})
    values.update({k: v for k, v in vars(args).items() if k in names})
    unknown = sorted(set(values) - names)
    if unknown:
        raise CLIError(f"unknown option(s) {printable(unknown)} for task {args.task}",
                       f"run 'gradwise train {args.task} --help' for the options")
    return validated(cls(**values))


def validated(config):
    """``config`` after its ``validate()``; the ValueErrors it raises name an option, so they
    are the user's to fix."""
    try:
        config.validate()
    except ValueError as e:
        raise CLIError(str(e), "run the command with --help for the valid values") from None
    return config


def cmd_train(args) -> int:
    from ..train.logging import lock_run_dir, make_run_dir
    from ..train.tasks import get_task

    task = get_task(args.task)
    main = dist.is_main_process()  # under mpiexec rank 0 alone prints, creates and locks the run
    if not main:
        args.quiet = True
    if args.resume:
        run_dir = pathlib.Path(args.resume)
        check_run_dir(run_dir, "--resume")
        if not (run_dir / "config.json").is_file():
            raise CLIError(f"--resume {run_dir}: no config.json there, so it is not a run "
                           f"directory", "pass a directory under runs/ made by gradwise train")
        with lock_run_dir(run_dir) if main else contextlib.nullcontext():
            config = _resumed_config(task, args, run_dir)
            return _train(task, config, run_dir, args)
    config = build_config(task, args)
    if args.run_dir:
        run_dir = pathlib.Path(args.run_dir)
        check_run_dir(run_dir, "--run-dir")
    else:
        check_run_dir(pathlib.Path(config.runs_dir), "--runs-dir")
    created = not args.run_dir or not run_dir.exists()
    if args.run_dir and main:
        run_dir.mkdir(parents=True, exist_ok=True)
    elif main:
        run_dir = make_run_dir(config.runs_dir, args.task)
    if dist.is_initialized_multi():  # every rank uses rank 0's run directory
        shared = [str(run_dir) if main else None]
        dist.broadcast_object_list(shared)
        run_dir = pathlib.Path(shared[0])
    before = set(os.listdir(run_dir))
    try:
        with lock_run_dir(run_dir) if main else contextlib.nullcontext():
            return _train(task, config, run_dir, args)
    except BaseException as exc:
        kept = _clean_failed_run(run_dir, created, before) if main else True
        if isinstance(exc, FloatingPointError):
            where = (f"; its logs and checkpoints stay in {run_dir}" if kept
                     else "; no checkpoint was written, so the run directory was removed")
            raise CLIError(f"training diverged: {exc}{where}",
                           "lower --lr, or clip gradients with --clip") from None
        if kept and isinstance(exc, Exception) and _hint_for(exc)[0] is not None:
            exc.args = (f"{exc.args[0] if exc.args else exc}; the run so far stays in "
                        f"{run_dir}",) + exc.args[1:]
        raise


def _resumed_config(task, args, run_dir: pathlib.Path):
    source = str(run_dir / "config.json")
    base = read_json_file(run_dir / "config.json", source)
    if not isinstance(base, dict):
        raise CLIError(f"{source}: expected a JSON object, got {type(base).__name__}")
    if base.get("task") != args.task:
        shown = printable(repr(base.get("task")))
        raise CLIError(f"--resume {run_dir} is a {shown} run, not {args.task!r}",
                       f"gradwise train {printable(base.get('task'))} --resume {run_dir}")
    base.pop("task")
    names = {f.name for f in dataclasses.fields(task.Config)}
    base = checked_values(task.Config, {k: v for k, v in base.items() if k in names}, source) | \
        {k: v for k, v in base.items() if k not in names}
    return build_config(task, args, base)


def _train(task, config, run_dir: pathlib.Path, args) -> int:
    from ..train.logging import write_json_atomic

    if not args.quiet:
        print(f"run directory: {run_dir}")
    results = _run_task(task, config, run_dir, args.quiet, bool(args.resume))
    if not dist.is_main_process():
        return 0
    write_json_atomic(run_dir / "results.json",
                      {k: v for k, v in results.items() if isinstance(v, (int, float, str))})
    _plot_quietly(run_dir, args.quiet)
    return 0


def _run_task(task, config, run_dir, quiet, resume) -> dict:
    if hasattr(task, "run"):
        return task.run(config, run_dir, quiet=quiet, resume=resume)
    from ..train.tasks import common

    return common.run_task(task, config, run_dir, quiet, resume)


def _clean_failed_run(run_dir: pathlib.Path, created: bool, before: set) -> bool:
    """Remove what a failed fresh run wrote unless it reached a checkpoint (then it can be
    resumed, and stays); returns whether the run directory was kept."""
    if not run_dir.is_dir():
        return False
    if any((run_dir / "checkpoints").glob("ckpt-*.json")):
        return True
    if created:
        shutil.rmtree(run_dir, ignore_errors=True)
        return False
    for name in set(os.listdir(run_dir)) - before:
        path = run_dir / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return False


def _plot_quietly(run_dir, quiet):
    """Draw the run's PNGs when matplotlib is there; otherwise say how to get them."""
    from ..train.optional import MissingDependencyError

    try:
        from ..viz import plot_run

        paths = plot_run(run_dir)
    except MissingDependencyError as e:
        if not quiet:
            print(f"plots skipped: {e.args[0]}; install it with {e.hint}")
        return
    except FileNotFoundError:
        return
    if not quiet:
        print("plots: " + ", ".join(p.name for p in paths))


# -- checkpoints ---------------------------------------------------------------------------------
def _open_checkpoint(path: str):
    """A checkpoint written by ``gradwise train`` and its task module, with the task config
    it records checked (types, bounds, validate()) before any task code uses it."""
    from ..train.checkpoint import load_checkpoint
    from ..train.tasks import TASKS, get_task

    ckpt = load_checkpoint(path)
    for reason in ckpt.skipped:
        print(f"{PROG}: note: skipped a newer checkpoint: {printable(reason)}", file=sys.stderr)
    extra = ckpt.extra
    task_name = extra.get("task") if isinstance(extra, dict) else None
    if not isinstance(task_name, str) or task_name not in TASKS:
        raise CLIError(f"{ckpt.path} was not written by 'gradwise train' (task "
                       f"{printable(repr(task_name))})",
                       "load it from Python with gradwise.train.restore_checkpoint")
    task = get_task(task_name)
    source = f"{ckpt.path} (task_config)"
    values = extra.get("task_config")
    if not isinstance(values, dict):
        raise CLIError(f"{source}: expected a JSON object, got {type(values).__name__}",
                       "the file was edited or written by another program")
    names = {f.name for f in dataclasses.fields(task.Config)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise CLIError(f"{source}: unknown option(s) {printable(unknown[:5])} for task "
                       f"{task_name}", "the checkpoint is from another gradwise version")
    values = checked_values(task.Config, values, source)
    check_bounds(task.Config, values, source)
    validated(task.Config(**values))
    return ckpt, task


def cmd_eval(args) -> int:
    from ..train.tasks import common

    opened = [_open_checkpoint(path) for path in args.checkpoint]
    for ckpt, _ in opened:
        print(printable(f"evaluating {ckpt.path} ({ckpt.extra['task']}, model "
                        f"{ckpt.model_name}, step {ckpt.step})"))
    ckpt, task = opened[0]
    if len(opened) > 1:
        tasks = sorted({c.extra["task"] for c, _ in opened})
        if len(tasks) > 1:
            raise CLIError(f"an ensemble needs checkpoints of one task, got {', '.join(tasks)}")
        if not getattr(task, "ENSEMBLE", False):
            from ..train.tasks import TASKS, get_task

            able = ", ".join(t for t in TASKS if getattr(get_task(t), "ENSEMBLE", False))
            raise CLIError(f"{ckpt.extra['task']} checkpoints cannot be evaluated as an "
                           f"ensemble", f"several checkpoints work for: {able}")
        try:
            results = common.evaluate_ensemble(task, [c for c, _ in opened], quiet=True)
        except ValueError as e:
            raise CLIError(str(e)) from None
    elif hasattr(task, "evaluate"):
        results = task.evaluate(ckpt.path, quiet=True)
    else:
        results = common.evaluate_task(task, ckpt.path, quiet=True)
    for k, v in results.items():
        line = f"{k:>16s}  {v:.4f}" if isinstance(v, float) else f"{k:>16s}  {v}"
        print(printable(line, keep="\n\t"))
    return 0


def cmd_sample(args) -> int:
    ckpt, task = _open_checkpoint(args.checkpoint)
    if not hasattr(task, "sample"):
        raise CLIError(f"{ckpt.path} is a {ckpt.extra['task']!r} model, which does not "
                       f"generate text", "sample works with charlm, wordlm and poetry runs")
    if args.length < 1:
        raise CLIError(f"--length must be >= 1 token, got {args.length}")
    if args.temperature < 0:
        raise CLIError(f"--temperature must be >= 0, got {args.temperature}")
    if args.top_p is not None and not 0 < args.top_p <= 1:
        raise CLIError(f"--top-p must lie in (0, 1], got {args.top_p}")
    if args.top_k is not None and args.top_k < 1:
        raise CLIError(f"--top-k must be >= 1, got {args.top_k}")
    print(printable(task.sample(ckpt.path, args.prompt, args.length, args.temperature,
                                args.top_k, args.top_p, args.seed), keep="\n\t"))
    return 0


def format_attention(source, output, attention) -> str:
    """The attention weights as a text table: one row per output token, one column per source."""
    width = max([len(t) for t in source] + [5])
    head = " " * (max([len(t) for t in output] + [6]) + 2)
    lines = [head + " ".join(f"{t:>{width}s}" for t in source)]
    for tok, row in zip(output, attention):
        cells = " ".join(f"{w:>{width}.2f}" for w in row)
        lines.append(f"{tok:>{len(head) - 2}s}  {cells}")
    return "\n".join(lines)


def cmd_translate(args) -> int:
    ckpt, task = _open_checkpoint(args.checkpoint)
    if not hasattr(task, "translate"):
        raise CLIError(f"{ckpt.path} is a {ckpt.extra['task']!r} model, not a translation "
                       f"model", "translate works with 'gradwise train translate' runs")
    if args.beam is not None and args.beam < 1:
        raise CLIError(f"--beam must be >= 1, got {args.beam}")
    out = task.translate(ckpt.path, args.sentence, args.beam)
    print(printable(" ".join(out["output"])))
    if out["unknown"]:
        print(printable(f"(unknown words: {', '.join(out['unknown'])})"), file=sys.stderr)
    if args.heatmap:
        from ..viz import plot_attention

        path = plot_attention(out["attention"], out["source"], out["output"] or ["<none>"],
                              args.heatmap, title=args.sentence)
        print(f"attention heatmap: {path}")
    elif len(out["output"]):
        print()
        print(printable(format_attention(out["source"], out["output"], out["attention"]),
                        keep="\n"))
    return 0


# -- summary, plot, bench -----------------------------------------------------------------------
def parse_shape(text: str) -> tuple:
    parts = text.lower().replace(",", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise CLIError(f"--input {text!r} is not a shape like 1x3x224x224") from None
    if not shape or min(shape) < 1:
        raise CLIError(f"--input {text!r}: every dimension must be >= 1")
    return shape


def cmd_summary(args) -> int:
    import numpy as np

    from .. import models
    from ..utils import summary

    if args.model not in models.list_models():
        raise CLIError(f"unknown model {args.model!r}",
                       f"choose one of: {', '.join(models.list_models())}")
    kwargs = {}
    if args.num_classes is not None:
        kwargs["num_classes"] = args.num_classes
    shape = parse_shape(args.input)
    model = models.create(args.model, **kwargs)
    dtype = np.int64 if args.tokens else np.float32
    try:
        table = summary(model, shape, dtype=dtype)
    except ValueError as e:
        raise CLIError(f"{args.model} cannot take input {shape}: {e}",
                       "check the expected input size in the model's docstring") from None
    print(table)
    return 0


def cmd_plot(args) -> int:
    from ..viz import compare_runs, plot_run

    if args.metric is None:
        if len(args.run) > 1:
            raise CLIError(f"{len(args.run)} run directories given without --metric",
                           "compare runs with --metric SPLIT/NAME, e.g. --metric train/error")
        paths = plot_run(args.run[0])
    else:
        if args.out is None:
            raise CLIError("--metric draws one figure of all the runs and needs --out",
                           "add --out FIGURE.png")
        try:
            paths = [compare_runs(args.run, args.metric, args.out, args.labels,
                                  args.title or "")]
        except (ValueError, FileNotFoundError) as e:
            raise CLIError(str(e), "see 'gradwise plot --help'") from None
    for path in paths:
        print(printable(path))
    return 0


def _benchmarks_dir() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parents[3] / "benchmarks"


def cmd_bench(args) -> int:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise CLIError("the benchmarks compare gradwise with PyTorch, which is not installed",
                       "pip install torch==2.13.0   (CPU build; then run 'gradwise bench' again)")
    bench_dir = _benchmarks_dir()
    names = {"conv": "bench_conv.py", "rnn": "bench_rnn.py"}
    chosen = [args.only] if args.only else ["conv", "rnn"]
    scripts = [bench_dir / names[c] for c in chosen]
    missing = [str(s) for s in scripts if not s.exists()]
    if missing:
        raise CLIError(f"benchmark scripts not found: {', '.join(missing)}",
                       "run from a source checkout: git clone … && pip install -e .")
    extra = ["--rounds", str(args.rounds), "--repeat", str(args.repeat)]
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        code = subprocess.call([sys.executable, str(script), *extra])
        if code != 0:
            raise CLIError(f"{script.name} failed with exit status {code}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    if args.time_budget <= 0:
        raise CLIError(f"--time-budget must be > 0, got {args.time_budget}")
    run_demo(quick=args.quick, time_budget=args.time_budget, runs_dir=args.runs_dir,
             quiet=args.quiet)
    return 0


# -- the parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from ..train.tasks import TASKS, get_task

    parser = Parser(prog=PROG, description="Convolutional and recurrent networks on NumPy: "
                    "train, evaluate, sample, translate, plot.",
                    epilog="Run 'gradwise COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("demo", help="train a char-LSTM on the stdlib source, sample, plot "
                       "gradient flow (<= 2 min)", description=cmd_demo_doc())
    p.add_argument("--quick", action="store_true", help="a few seconds: tiny model, 4 steps")
    p.add_argument("--time-budget", type=float, default=75.0, metavar="SECONDS",
                   help="training time limit (default: 75)")
    p.add_argument("--runs-dir", default="runs", help="where the run directory goes")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a task: " + " ".join(TASKS),
                       description="Train a task; each run gets runs/<task>-<timestamp>/ with "
                       "config.json, metrics.csv/.jsonl, TensorBoard events, checkpoints/ and "
                       "plots. 'mpiexec -n N gradwise train TASK' trains data parallel on N "
                       "ranks (--batch-size stays the global batch; BLAS threads per rank "
                       "default to the node's cores / its ranks; docs/distributed.md).")
    tasks = p.add_subparsers(dest="task", metavar="TASK", parser_class=Parser)
    tasks.required = True
    for name in TASKS:
        module = get_task(name)
        tp = tasks.add_parser(name, help=module.DESCRIPTION,
                              description=inspect.getdoc(module))
        tp.formatter_class = argparse.RawDescriptionHelpFormatter
        tp.add_argument("--config", metavar="FILE", help="JSON file of option values "
                        "(flags given on the command line win)")
        tp.add_argument("--resume", metavar="RUN", help="continue the run in directory RUN "
                        "from its latest checkpoint, exactly")
        tp.add_argument("--run-dir", metavar="DIR", help="use DIR as the run directory")
        tp.add_argument("--quiet", action="store_true", help="no progress output")
        add_config_flags(tp, module.Config)
        tp.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate a checkpoint on its task's test data")
    p.add_argument("checkpoint", metavar="CKPT", nargs="+",
                   help="ckpt-*.json, checkpoints/ or a run dir; several (mnist, pos, "
                        "degradation): the ensemble of their averaged class probabilities")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sample", help="generate text from a language-model checkpoint")
    p.add_argument("checkpoint", metavar="CKPT")
    p.add_argument("--prompt", default="", help="text to continue")
    p.add_argument("--length", type=int, default=300, help="tokens to generate (default 300)")
    p.add_argument("--temperature", type=float, default=0.8,
                   help="0 = greedy, <1 sharper, >1 more random (default 0.8)")
    p.add_argument("--top-k", type=int, default=None, help="sample among the k most likely")
    p.add_argument("--top-p", type=float, default=None,
                   help="sample from the smallest set of tokens with probability >= p")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("translate", help="translate a sentence with a translate checkpoint")
    p.add_argument("checkpoint", metavar="CKPT")
    p.add_argument("sentence")
    p.add_argument("--beam", type=int, default=None, help="beam size (default: the run's)")
    p.add_argument("--heatmap", metavar="PNG", help="write the attention heatmap here instead "
                   "of printing the table")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("summary", help="per-layer output shapes, parameters and MACs")
    p.add_argument("model", metavar="MODEL", help="a zoo model, e.g. resnet18, lenet5")
    p.add_argument("--input", required=True, help="input shape with batch, e.g. 1x3x224x224")
    p.add_argument("--num-classes", type=int, default=None)
    p.add_argument("--tokens", action="store_true", help="integer token input (text models)")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("plot", help="write the PNG plots of a run directory, or compare runs")
    p.add_argument("run", metavar="RUN", nargs="+",
                   help="a run directory, e.g. runs/mnist-20250101-120000 (several with --metric)")
    p.add_argument("--metric", help="compare this SPLIT/NAME series of every RUN on one figure, "
                                    "e.g. train/error")
    p.add_argument("--out", help="the comparison figure's PNG file (with --metric)")
    p.add_argument("--labels", nargs="+", help="one legend label per RUN (default: its name)")
    p.add_argument("--title", help="the comparison figure's title")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("bench", help="time conv and RNN kernels against PyTorch")
    p.add_argument("--only", choices=("conv", "rnn"), help="run one of the two benchmarks")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.set_defaults(func=cmd_bench)
    from .caption import add_parser as add_caption_parser
    from .export import add_parser as add_export_parser

    add_export_parser(sub)
    add_caption_parser(sub)
    return parser


def cmd_demo_doc() -> str:
    from . import demo

    return inspect.getdoc(demo)


def _version() -> str:
    import gradwise

    return gradwise.__version__


def _hint_for(exc) -> tuple[str, str | None]:
    """(message, hint) for the exceptions a user can fix; None message = not a user error."""
    from ..data.datasets import ChecksumError, DatasetNotFoundError
    from ..train.checkpoint import CheckpointError
    from ..train.optional import MissingDependencyError

    if isinstance(exc, CheckpointError):
        return str(exc), exc.hint or "check the path; gradwise eval RUN picks its latest checkpoint"
    if isinstance(exc, UserError):
        return str(exc), exc.hint
    if isinstance(exc, MissingDependencyError):
        return exc.args[0], exc.hint
    if isinstance(exc, DatasetNotFoundError):
        return str(exc).splitlines()[0], ("put the files under $GRADWISE_DATA (or pass "
                                          "--data-root DIR); see shared/data/README.md")
    if isinstance(exc, ChecksumError):
        return str(exc).splitlines()[0], "the file is damaged or a different version; " \
                                         "replace it with the original"
    if isinstance(exc, FileNotFoundError):
        return str(exc), "check the path"
    if isinstance(exc, ValueError) and str(exc).startswith("--"):
        # a task's own check of an option at run time (house style: the message starts with
        # the flag); these are to become UserError at their raise sites
        return str(exc).splitlines()[0], "run the command with --help for the valid values"
    return None, None


_COMMANDS = ("demo", "train", "eval", "sample", "translate", "summary", "plot", "bench",
             "export")


def _report_bug() -> int:
    traceback.print_exc()
    print(f"{PROG}: internal error: the traceback above is a bug in gradwise, not a problem "
          f"with your input; please report it at {REPORT_URL} with the command line and the "
          f"traceback", file=sys.stderr)
    return 1


def _stdout_closed() -> int:
    """The reader of our stdout went away (``gradwise eval RUN | head -1``): normal in a
    pipeline. Point stdout at /dev/null so that the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no real file descriptor (in tests)
        pass
    return 141   # 128 + SIGPIPE, what a shell reports for a process ended by a closed pipe


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 bug, 2 user error,
    130 interrupted, 141 stdout closed)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except CLIError as e:
            # unrecognised flags are reported by the top-level parser: point at the subcommand
            words = [w for w in argv if not w.startswith("-")][:2]
            from ..train.tasks import TASKS

            if words[:1] == ["train"] and len(words) == 2 and words[1] in TASKS:
                e.hint = f"run 'gradwise train {words[1]} --help' for the options"
            elif words and words[0] in _COMMANDS:  # noqa: SIM114
                e.hint = f"run 'gradwise {words[0]} --help' for the options"
            raise
        if args.command is None:
            parser.print_help()
            return 2
        code = args.func(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        print("hint: resume a training run with: gradwise train TASK --resume RUN",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except SystemExit as e:   # --help and --version exit through argparse
        return e.code if isinstance(e.code, int) else 0
    except Exception as exc:  # noqa: BLE001 (user errors become one line; others are bugs)
        message, hint = _hint_for(exc)
        if message is None:
            return _report_bug()
        if os.environ.get("GRADWISE_DEBUG"):
            raise
        if hint is None:
            words = [w for w in argv if not w.startswith("-")][:2 if argv[:1] == ["train"] else 1]
            hint = f"run 'gradwise {' '.join(words)} --help' for the valid values"
        print(f"{PROG}: error: {printable(message)}", file=sys.stderr)
        if hint:
            print(f"hint: {printable(hint)}", file=sys.stderr)
        return 2
