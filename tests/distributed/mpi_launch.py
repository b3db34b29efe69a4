"""Start a worker script under the mpich wheel's ``mpiexec`` and return its result."""
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

WORKERS = pathlib.Path(__file__).parent / "workers"


def mpiexec_path():
    """The mpiexec next to this Python (the mpich wheel's), else the one on PATH."""
    local = pathlib.Path(sysconfig.get_path("scripts")) / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def run_ranks(script, n=2, args=(), timeout=240):
    """Run ``workers/<script>`` on ``n`` ranks over loopback, one BLAS thread per rank."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [mpiexec_path(), "-n", str(n), sys.executable, str(WORKERS / script), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def check(result):
    """Fail with every rank's output unless the job exited 0."""
    if result.returncode != 0:
        raise AssertionError(f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n"
                             f"--- stderr\n{result.stderr}")
    return result
