"""One Trainer run (BatchNorm MLP, shuffled loader, accuracy, validation) in float64, in one
process or under mpiexec; optionally stopped early with a checkpoint, or resumed from one.

    python trainer_run.py OUT.npz [--stop-after K --ckpt DIR] [--resume DIR]

Rank 0 writes the final parameters, buffers and validation history to OUT.npz.
"""
import argparse
import json

import numpy as np

import gradwise as gw
import gradwise.distributed as dist
from gradwise import nn
from gradwise.data import DataLoader, TensorDataset
from gradwise.train import Trainer
from gradwise.train.checkpoint import CheckpointManager
from gradwise.train.metrics import Accuracy

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--stop-after", type=int, default=None)
p.add_argument("--ckpt", default=None)
p.add_argument("--resume", default=None)
a = p.parse_args()

gw.set_default_dtype(np.float64)
gw.manual_seed(0)
rng = np.random.default_rng(3)
X, Y = rng.standard_normal((50, 6)), rng.integers(0, 3, 50)
Xv, Yv = rng.standard_normal((25, 6)), rng.integers(0, 3, 25)
model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3))
train = DataLoader(TensorDataset(X, Y), batch_size=12, shuffle=True)  # 12, 12, 12, 12, 2
val = DataLoader(TensorDataset(Xv, Yv), batch_size=10)                 # 10, 10, 5
trainer = Trainer(model, gw.optim.SGD(model.parameters(), lr=0.2, momentum=0.9), train,
                  loss_fn=nn.functional.cross_entropy, val_loader=val, epochs=3,
                  max_steps=a.stop_after, metrics=[Accuracy()],
                  checkpoints=CheckpointManager(a.ckpt) if a.ckpt else None)
if a.resume:
    trainer.resume(a.resume)
trainer.fit()
world = dist.get_world_size() if dist.is_initialized() else 1
if trainer.is_main_process:
    state = {k: v.array for k, v in trainer.model.state_dict().items()}
    history = [{k: v for k, v in h.items() if isinstance(v, (int, float))}
               for h in trainer.history]
    np.savez(a.out, history=json.dumps(history), world=world, **state)
