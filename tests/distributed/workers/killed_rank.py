"""Rank 1 dies by SIGKILL while rank 0 waits in a collective: mpiexec must end the job."""
import os
import signal

import numpy as np

import gradwise.distributed as dist

if dist.get_rank() == 1:
    os.kill(os.getpid(), signal.SIGKILL)
dist.all_reduce(np.ones(3))
