"""Trainer under mpiexec: 2 ranks equal 1 process (metrics, parameters, buffers), rank 0 alone
prints, and checkpoints resume at another world size with the uninterrupted run's result."""
import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py")
pytest.importorskip("safetensors")

from mpi_launch import WORKERS, check, run_ranks  # noqa: E402

RTOL = 1e-9  # 15 steps of SGD with momentum through BatchNorm on 1-row shards amplify rounding


def one_process(*args):
    cmd = [sys.executable, str(WORKERS / "trainer_run.py"), *map(str, args)]
    return check(subprocess.run(cmd, capture_output=True, text=True, timeout=240))


def assert_same_run(a, b):
    a, b = np.load(a), np.load(b)
    for key in a.files:
        if key in ("history", "world"):
            continue
        scale = max(np.abs(a[key]).max(), 1e-300)
        assert np.abs(a[key] - b[key]).max() / scale < RTOL, key
    ha, hb = json.loads(str(a["history"])), json.loads(str(b["history"]))
    assert [h.keys() for h in ha] == [h.keys() for h in hb]
    for x, y in zip(ha, hb):
        for k in x:
            np.testing.assert_allclose(y[k], x[k], rtol=RTOL, err_msg=k)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "one.npz"
    one_process(out)
    assert int(np.load(out)["world"]) == 1
    return out


def test_two_ranks_train_and_evaluate_like_one_process(uninterrupted, tmp_path):
    result = check(run_ranks("trainer_run.py", n=2, args=[tmp_path / "two.npz"]))
    assert int(np.load(tmp_path / "two.npz")["world"]) == 2
    assert_same_run(uninterrupted, tmp_path / "two.npz")
    printed = result.stdout + result.stderr
    assert printed.count("epoch 3: train_loss") == 1, printed  # rank 0 alone reports


def test_a_two_rank_checkpoint_resumes_in_one_process(uninterrupted, tmp_path):
    ckpt = tmp_path / "ckpt"
    check(run_ranks("trainer_run.py", n=2, args=[tmp_path / "part.npz", "--stop-after", 7,
                                                 "--ckpt", ckpt]))
    one_process(tmp_path / "end.npz", "--resume", ckpt)
    assert_same_run(uninterrupted, tmp_path / "end.npz")


def test_a_one_process_checkpoint_resumes_on_two_ranks(uninterrupted, tmp_path):
    ckpt = tmp_path / "ckpt"
    one_process(tmp_path / "part.npz", "--stop-after", 7, "--ckpt", ckpt)
    check(run_ranks("trainer_run.py", n=2, args=[tmp_path / "end.npz", "--resume", ckpt]))
    assert_same_run(uninterrupted, tmp_path / "end.npz")


class CarriesState:
    def __call__(self, model, batch, training):
        raise AssertionError("never called")

    def state_dict(self):
        return {}


def test_a_stateful_step_function_is_refused_under_data_parallelism():
    import gradwise as gw
    import gradwise.distributed as dist
    from gradwise import nn
    from gradwise.train import Trainer

    if not dist.is_initialized():
        dist.init_process_group("mpi")
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="cannot be sharded across ranks"):
        Trainer(model, gw.optim.SGD(model.parameters(), lr=0.1), [], step_fn=CarriesState(),
                epochs=1, distributed=True)
