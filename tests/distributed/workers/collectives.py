"""Every collective on W ranks against the NumPy computation of the same result."""
import numpy as np

import gradwise as gw
import gradwise.distributed as dist

r, W = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized()


def value(k, dtype=np.float64):
    """Rank k's input: distinct per rank, with negatives so MIN/MAX matter."""
    return (np.arange(6, dtype=np.float64).reshape(2, 3) * (k + 1) - 3 * k).astype(dtype)


every = np.stack([value(k) for k in range(W)])  # (W, 2, 3)
expected = {dist.ReduceOp.SUM: every.sum(0), dist.ReduceOp.AVG: every.mean(0),
            dist.ReduceOp.MAX: every.max(0), dist.ReduceOp.MIN: every.min(0),
            dist.ReduceOp.PRODUCT: every.prod(0)}
for op, want in expected.items():
    t = gw.tensor(value(r))
    version = t._version
    dist.all_reduce(t, op=op)
    np.testing.assert_allclose(t.array, want, rtol=1e-15, err_msg=str(op))
    assert t._version == version + 1, "all_reduce must bump the version counter"
    a = value(r).T  # a non-contiguous array is reduced in place too
    dist.all_reduce(a, op=op)
    np.testing.assert_allclose(a, want.T, rtol=1e-15, err_msg=f"{op} transposed")
    work = dist.all_reduce(b := value(r, np.float32), op=op, async_op=True)
    work.wait()
    np.testing.assert_allclose(b, want.astype(np.float32), rtol=1e-6)

ints = np.full(3, r + 1, np.int64)
dist.all_reduce(ints)
assert ints.tolist() == [W * (W + 1) // 2] * 3, ints

b = value(r)
dist.broadcast(b, src=W - 1)
np.testing.assert_array_equal(b, value(W - 1))

t = gw.tensor(value(r))
dist.reduce(t, dst=0, op=dist.ReduceOp.MAX)
np.testing.assert_array_equal(t.array, every.max(0) if r == 0 else value(r))

out = [gw.zeros(2, 3, dtype=gw.float64) for _ in range(W)]
dist.all_gather(out, gw.tensor(value(r)))
for k in range(W):
    np.testing.assert_array_equal(out[k].array, value(k))
flat = np.empty((2 * W, 3))
dist.all_gather_into_tensor(flat, value(r))
np.testing.assert_array_equal(flat, every.reshape(2 * W, 3))

objs = [None] * W
dist.all_gather_object(objs, {"rank": r})
assert objs == [{"rank": k} for k in range(W)], objs
got = [None] * W if r == 0 else None
dist.gather_object(("g", r), got, dst=0)
assert r != 0 or got == [("g", k) for k in range(W)], got
box = [None]
dist.scatter_object_list(box, [f"to {k}" for k in range(W)] if r == 0 else None, src=0)
assert box == [f"to {r}"], box
lst = [r, "x"]
dist.broadcast_object_list(lst, src=0)
assert lst == [0, "x"], lst

try:
    dist.broadcast(value(r), src=W)
except ValueError as e:
    assert "src must be a rank" in str(e)
else:
    raise AssertionError("broadcast from a rank that does not exist must raise")
dist.barrier()
print(f"rank {r}/{W}: collectives ok", flush=True)
