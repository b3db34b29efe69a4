"""The one error type for mistakes a user can fix: a bad option, file, run directory or
checkpoint. The command line prints it as ``gradwise: error: <message>`` plus ``hint: <hint>``
and exits with status 2; every other exception is a bug and keeps its traceback."""
from __future__ import annotations

import json
import pathlib


class UserError(ValueError):
    """A mistake in the user's input, with a hint saying how to fix it.

    A ValueError, so that ``except ValueError`` code written before it existed still catches it.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def read_json_file(path, what: str, error=UserError, hint: str | None = None):
    """The JSON value in ``path``; a missing, unreadable, malformed or absurdly nested file
    raises ``error`` whose message starts with ``what`` (e.g. ``"--config cfg.json"``)."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what}: no such file", hint) from None
    except IsADirectoryError:
        raise error(f"{what}: is a directory, not a JSON file", hint) from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{what}: cannot be read ({type(e).__name__}: {e})", hint) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{what}: invalid JSON ({e})", hint) from None
    except RecursionError:
        raise error(f"{what}: JSON nested too deeply to be a gradwise file", hint) from None
