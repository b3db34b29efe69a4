"""``python -m gradwise.cli`` and the ``gradwise`` console script."""
import sys

from ..core import keep_freed_memory
from . import main as _main


def main() -> int:
    """Entry point of the ``gradwise`` script (``[project.scripts]`` in pyproject.toml).

    The process is gradwise's own, so freed arrays are kept for reuse (see
    :mod:`gradwise.core.memory`): fresh im2col buffers would otherwise page-fault on every call.
    """
    keep_freed_memory()
    return _main()


if __name__ == "__main__":
    sys.exit(main())
