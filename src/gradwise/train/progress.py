"""Progress display: a tqdm bar with live loss/metrics and ETA, or plain lines without tqdm.

``make_progress(total, desc, quiet)`` returns a tqdm-backed bar when tqdm is installed
(``pip install gradwise[progress]``) and ``stream`` is a terminal or ``force_tqdm`` is set,
otherwise a :class:`LinePrinter` that prints one line every ``every`` seconds, e.g.

    train epoch 1:  120/500 (24%)  loss 2.3105  acc 0.412  31.2 it/s  ETA 0:00:12

``quiet=True`` prints nothing.
"""
from __future__ import annotations

import sys
import time


def _format_value(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e-3 or abs(v) >= 1e4 else f"{v:.4f}"
    return str(v)


def format_seconds(seconds: float) -> str:
    """h:mm:ss, the ETA format of tqdm."""
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Common interface: ``update(n=1, **metrics)``, ``write(line)``, ``close()``."""

    def update(self, n: int = 1, **metrics) -> None:
        raise NotImplementedError

    def write(self, line: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Silent(Progress):
    """--quiet: prints nothing, not even ``write`` lines."""

    def update(self, n=1, **metrics):
        pass

    def write(self, line):
        pass


class LinePrinter(Progress):
    """Plain-text progress: one line at most every ``every`` seconds, and one at the end.

    Args:
        total: number of steps expected (None if unknown: no percentage or ETA).
        desc: prefix of every line.
        stream: where to print (stdout by default).
        every: minimum seconds between two lines.
        clock: the time function (injectable for tests).
    """

    def __init__(self, total=None, desc="", stream=None, every=2.0, clock=time.monotonic):
        self.total, self.desc, self.every, self.clock = total, desc, every, clock
        self.stream = stream if stream is not None else sys.stdout
        self.n = 0
        self.metrics: dict = {}
        self.start = self.clock()
        self.last_print = None
        self.printed_n = None
        self.closed = False

    def line(self) -> str:
        elapsed = max(self.clock() - self.start, 1e-9)
        rate = self.n / elapsed
        parts = [f"{self.desc}:" if self.desc else ""]
        if self.total:
            parts.append(f"{self.n:>{len(str(self.total))}}/{self.total} "
                         f"({100 * self.n / self.total:3.0f}%)")
        else:
            parts.append(f"{self.n}")
        parts += [f"{k} {_format_value(v)}" for k, v in self.metrics.items()]
        parts.append(f"{rate:.1f} it/s")
        if self.total and rate > 0:
            parts.append(f"ETA {format_seconds((self.total - self.n) / rate)}")
        else:
            parts.append(f"elapsed {format_seconds(elapsed)}")
        return "  ".join(p for p in parts if p)

    def update(self, n=1, **metrics):
        self.n += n
        self.metrics.update(metrics)
        now = self.clock()
        if self.last_print is None or now - self.last_print >= self.every:
            self.last_print, self.printed_n = now, self.n
            self.write(self.line())

    def write(self, line):
        print(line, file=self.stream, flush=True)

    def close(self):
        if not self.closed:
            self.closed = True
            if self.printed_n != self.n:
                self.write(self.line())


class TqdmBar(Progress):
    """A tqdm bar; metrics appear as its postfix (``loss=2.31, acc=0.41``)."""

    def __init__(self, total=None, desc="", stream=None, leave=True):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, file=stream, leave=leave, dynamic_ncols=True)

    def update(self, n=1, **metrics):
        if metrics:
            self.bar.set_postfix({k: _format_value(v) for k, v in metrics.items()}, refresh=False)
        self.bar.update(n)

    def write(self, line):
        self.bar.write(line, file=self.bar.fp)

    def close(self):
        self.bar.close()


def have_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def make_progress(total=None, desc="", quiet=False, stream=None, force_tqdm=False,
                  every=2.0) -> Progress:
    """The best available progress display.

    Args:
        total: expected number of updates (None if unknown).
        desc: label shown before the bar.
        quiet: print nothing at all.
        stream: output stream (stdout by default).
        force_tqdm: use tqdm even when the stream is not a terminal (tqdm then prints
            carriage-return updates into the stream).
        every: seconds between lines of the plain fallback.
    """
    if quiet:
        return Silent()
    stream = stream if stream is not None else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    if have_tqdm() and (is_tty or force_tqdm):
        return TqdmBar(total, desc, stream)
    return LinePrinter(total, desc, stream, every)
