"""Checks of what the command line reads from the user and from files: option values against
the Config dataclass annotations, bounds on sizes read from checkpoints, run directories, and
the escaping of control characters in everything printed from a file."""
from __future__ import annotations

import dataclasses
import pathlib
import types
import typing

from ..train.errors import UserError

MAX_UNBOUNDED = 10_000_000   # an option without a default, read from a checkpoint
SIZE_FACTOR = 100            # other integers: at most this many times their default …
MIN_BOUND = 10_000           # … or this, whichever is larger
UNBOUNDED_OPTIONS = ("seed",)

_JSON_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               dict: "a JSON object", list: "a JSON array", type(None): "null"}


def printable(text, keep: str = "") -> str:
    """``text`` with control and other unprintable characters escaped (``\\x1b``), except
    those in ``keep`` (e.g. "\\n\\t" for multi-line output): a name read from a file can then
    not move the cursor, recolour or retitle the user's terminal."""
    return "".join(c if c.isprintable() or c in keep else c.encode("unicode_escape").decode()
                   for c in str(text))


def _allowed_types(annotation) -> tuple:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(typing.get_origin(a) or a for a in typing.get_args(annotation))
    return (typing.get_origin(annotation) or annotation,)


def check_value(name: str, value, annotation, source: str):
    """``value`` if it has the type of ``annotation`` (an int is a valid float); else
    UserError naming ``source`` (the file or flag), the key and expected vs actual."""
    allowed = _allowed_types(annotation)
    for t in allowed:
        if t is typing.Any or t is typing.Callable or not isinstance(t, type):
            return value
        if t is bool and isinstance(value, bool):
            return value
        if isinstance(value, bool):
            continue
        if t is float and isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, t):
            return value
    expected = " or ".join(_JSON_NAMES.get(t, t.__name__) for t in allowed)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise UserError(f"{source}: option {name!r} must be {expected}, got "
                    f"{_JSON_NAMES.get(type(value), type(value).__name__)} {printable(shown)}",
                    f"fix the value of {name!r} in {source}")


def checked_values(config_cls, values: dict, source: str) -> dict:
    """``values`` with every entry checked against the annotation of its Config field."""
    hints = typing.get_type_hints(config_cls)
    return {k: check_value(k, v, hints[k], source) if k in hints else v
            for k, v in values.items()}


def check_bounds(config_cls, values: dict, source: str) -> None:
    """Refuse integers in ``values`` (read from a checkpoint) far beyond their defaults:
    a task regenerates its data from these sizes, so an edited one must not allocate at will."""
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    for name, value in values.items():
        if name in UNBOUNDED_OPTIONS or not isinstance(value, int) or isinstance(value, bool):
            continue
        default = defaults.get(name)
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            bound = max(SIZE_FACTOR * abs(default), MIN_BOUND)
        else:
            bound = MAX_UNBOUNDED
        if not -bound <= value <= bound:
            raise UserError(f"{source}: option {name!r} is {value}, beyond the bound {bound:g} "
                            f"for sizes read from a checkpoint",
                            "the checkpoint was edited or damaged; use another checkpoint")


def check_run_dir(path: pathlib.Path, flag: str) -> None:
    """A run directory (or the folder that gets one) must be a directory or not exist yet,
    and no folder above it may be a regular file."""
    for p in (path, *path.parents):
        if p.exists() and not p.is_dir():
            where = "is" if p == path else f"lies under {p}, which is"
            raise UserError(f"{flag} {path} {where} a file, not a directory",
                            f"pass a directory for {flag}")
