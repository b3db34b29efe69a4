"""``python -m gradwise.cli`` and the ``gradwise`` console script."""
import sys

from . import main as _main


def main() -> int:
    """Entry point of the ``gradwise`` script (``[project.scripts]`` in pyproject.toml)."""
    return _main()


if __name__ == "__main__":
    sys.exit(main())
