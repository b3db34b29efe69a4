"""Rank 1 raises while rank 0 waits in a collective: the job must end, not hang."""
import sys

import numpy as np

import gradwise.distributed as dist

if dist.get_rank() == int(sys.argv[1]):
    raise ValueError("rank-specific failure: bad shard")
dist.all_reduce(np.ones(3))  # the other ranks block here until the abort ends them
