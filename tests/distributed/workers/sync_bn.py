"""SyncBatchNorm2d on W ranks × N/W examples against BatchNorm2d on all N, forward and
backward, float64: y, dx (rank's rows), Σ_r dγ_r, Σ_r dβ_r and the running statistics."""
import numpy as np

import gradwise as gw
import gradwise.distributed as dist
from gradwise import nn

r, W = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
N = 3 * W
x = rng.standard_normal((N, 4, 5, 5)) * 2 + 1
g = rng.standard_normal(x.shape)
rows = slice(3 * r, 3 * r + 3)


def layer(cls):
    m = cls(4, momentum=0.3, dtype=np.float64)
    m.weight.data.copy_(gw.tensor(np.linspace(0.5, 2, 4)))
    m.bias.data.copy_(gw.tensor(np.linspace(-1, 1, 4)))
    return m


ref = layer(nn.BatchNorm2d)
xr = gw.tensor(x, requires_grad=True)
(ref(xr) * gw.tensor(g)).sum().backward()
y_ref = ref(gw.tensor(x)).array  # second forward: running stats updated twice on both sides

sync = layer(nn.SyncBatchNorm)
xs = gw.tensor(x[rows], requires_grad=True)
(sync(xs) * gw.tensor(g[rows])).sum().backward()
y = sync(gw.tensor(x[rows])).array
np.testing.assert_allclose(y, y_ref[rows], rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(xs.grad.array, xr.grad.array[rows], rtol=1e-12, atol=1e-12)
for p, q in ((sync.weight, ref.weight), (sync.bias, ref.bias)):
    total = p.grad.array.copy()
    dist.all_reduce(total)  # local dγ, dβ: their sum over ranks is the full-batch gradient
    np.testing.assert_allclose(total, q.grad.array, rtol=1e-12)
for name in ("running_mean", "running_var", "num_batches_tracked"):
    np.testing.assert_allclose(getattr(sync, name).array, getattr(ref, name).array, rtol=1e-12)
print(f"rank {r}/{W}: SyncBatchNorm equals BatchNorm on the full batch", flush=True)
