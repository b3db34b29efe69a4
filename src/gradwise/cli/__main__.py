"""``python -m gradwise.cli`` and the ``gradwise`` console script."""
import os
import sys

from .. import distributed
from ..core import keep_freed_memory, set_num_threads
from . import main as _main


def main() -> int:
    """Entry point of the ``gradwise`` script (``[project.scripts]`` in pyproject.toml).

    The process is gradwise's own, so freed arrays are kept for reuse (see
    :mod:`gradwise.core.memory`): fresh im2col buffers would otherwise page-fault on every call.
    """
    keep_freed_memory()
    if distributed.launched_by_mpi():  # ranks on a node share its cores (OMP_NUM_THREADS wins)
        if "OMP_NUM_THREADS" not in os.environ:
            set_num_threads(distributed.default_threads_per_rank())
    code = _main()
    if code and distributed.is_initialized_multi():
        distributed.abort(code)  # a failing rank ends the job instead of leaving peers waiting
    return code


if __name__ == "__main__":
    sys.exit(main())
