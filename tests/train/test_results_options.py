"""Task options added for the issue-6 result runs: LeNet-5 variant and shift augmentation in
``mnist``, the ridge-on-delays baseline of ``esn``."""
import json

import numpy as np
import pytest

from gradwise.cli import main
from gradwise.core.tensor import Tensor
from gradwise.train.augment import random_shift
from gradwise.train.checkpoint import load_checkpoint
from gradwise.train.runner import run_task
from gradwise.train.tasks import esn, mnist


def test_random_shift_translates_each_image_within_the_bound(rng):
    x = np.zeros((50, 1, 9, 9))
    x[:, 0, 4, 4] = 1.0                                  # one bright pixel in the centre
    out = random_shift(x, 2, rng)
    assert out.shape == x.shape
    pos = np.argwhere(out[:, 0] > 0)                     # (image, row, col)
    assert len(pos) == 50                                # the pixel survives every shift
    offsets = pos[:, 1:] - 4
    assert np.abs(offsets).max() <= 2
    assert len({tuple(o) for o in offsets}) > 5          # the offsets really vary
    assert random_shift(x, 0, rng) is x


def test_random_shift_fills_with_the_background_value(rng):
    x = np.full((4, 1, 6, 6), -0.5)                     # constant background -0.5
    x[:, 0, 0, 0] = 3.0
    out = random_shift(x, 1, rng)
    assert set(np.unique(out)) <= {-0.5, 3.0}


def test_shift_step_augments_training_batches_only():
    calls = []

    class Echo:
        def __call__(self, xb):
            calls.append(xb.array.copy())
            return Tensor(np.zeros((xb.shape[0], 10), np.float32))

    x = np.zeros((8, 1, 28, 28), np.float32)
    x[:, 0, 14, 14] = 1.0
    batch = (Tensor(x), Tensor(np.zeros(8, np.int64)))
    step = mnist.ShiftStep(3)
    step(Echo(), batch, False)
    np.testing.assert_array_equal(calls[-1], x)          # evaluation sees the images as they are
    for _ in range(5):
        step(Echo(), batch, True)
    assert any(not np.array_equal(c, x) for c in calls[1:])


def test_mnist_shift_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="--shift"):
        mnist.Config(shift=9).validate()


def test_mnist_lenet_variant_reaches_the_model(shared_data, tmp_path, capsys):
    run_dir = tmp_path / "mnist"
    code = main(["train", "mnist", "--limit", "64", "--batch-size", "16", "--max-steps", "2",
                 "--activation", "relu", "--subsampling", "max", "--shift", "2",
                 "--run-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().err
    ckpt = load_checkpoint(run_dir / "checkpoints")
    assert ckpt.model_config["activation"] == "relu"
    assert ckpt.model_config["subsampling"] == "max"
    assert json.loads((run_dir / "config.json").read_text())["shift"] == 2


def test_ridge_on_delays_recovers_an_exact_linear_recurrence():
    # a shifted sinusoid c + a sin(wt) obeys s(t+1) = 2cos(w) s(t) - s(t-1) + c (2 - 2cos(w))
    t = np.arange(400)
    s = 0.3 + 0.5 * np.sin(0.2 * t)
    model = esn.RidgeOnDelays(2, 1e-12).fit(s[:300])
    pred = model.predict(s[298:399])                     # windows ending at t = 299..398
    np.testing.assert_allclose(pred, s[300:400], atol=1e-6)
    gen = model.generate(50, s[:300])
    np.testing.assert_allclose(gen, s[300:350], atol=1e-5)
    np.testing.assert_allclose(model.weight[1:], [2 * np.cos(0.2), -1.0], atol=1e-5)


def test_ridge_on_delays_windows_and_short_series_error():
    m = esn.RidgeOnDelays(3, 1e-6)
    z = m._windows(np.arange(6.0))
    np.testing.assert_array_equal(z[0], [1, 2, 1, 0])    # [1, s(2), s(1), s(0)]
    assert z.shape == (4, 4)
    with pytest.raises(ValueError, match="at least 3 samples"):
        m._windows(np.arange(2.0))


def test_esn_reports_the_baseline_and_draws_the_free_run(tmp_path):
    config = esn.Config(length=400, reservoir_size=30, washout=20, delays=5)
    results = run_task(esn, config, tmp_path / "esn", quiet=True)
    for key in ("one_step_nrmse", "free_run_nrmse", "baseline_one_step_nrmse",
                "baseline_free_run_nrmse"):
        assert np.isfinite(results[key]) and results[key] >= 0
    assert results["baseline_one_step_nrmse"] < 0.1      # a linear AR predicts one step well
    assert (tmp_path / "esn" / "free_run.json").exists()   # plot data; viz draws it
    from gradwise.viz import plot_run

    plot_run(tmp_path / "esn")
    assert (tmp_path / "esn" / "free_run.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="--delays"):
        esn.Config(delays=0).validate()


def test_chrono_init_sets_lstm_gate_biases(rng):
    from gradwise.train.tasks import adding

    model = adding.AddingModel("lstm", hidden_size=16)
    g_before = model.rnn.bias_ih_l0.array[32:].copy()
    adding.chrono_init(model.rnn, 200, rng)
    b_ih, b_hh = model.rnn.bias_ih_l0.array, model.rnn.bias_hh_l0.array
    b_f = b_ih[16:32]
    assert np.all(b_f >= 0) and np.all(b_f <= np.log(199)) and b_f.std() > 0.1
    np.testing.assert_array_equal(b_ih[:16], -b_f)
    np.testing.assert_array_equal(b_hh[:32], 0.0)
    np.testing.assert_array_equal(b_ih[32:], g_before)   # cell and output gates untouched
    with pytest.raises(ValueError, match="--chrono"):
        adding.Config(model="rnn", chrono=True).validate()


def test_adding_chrono_flag_trains(tmp_path, capsys):
    run_dir = tmp_path / "adding"
    code = main(["train", "adding", "--seq-len", "10", "--limit", "64", "--hidden-size", "8",
                 "--max-steps", "2", "--chrono", "--run-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().err
    assert json.loads((run_dir / "config.json").read_text())["chrono"] is True


def test_fold_indices_partition_the_shuffle():
    from gradwise.train.tasks import sentiment

    order = np.random.default_rng(0).permutation(103)
    tests = []
    for fold in range(10):
        train, val, test = sentiment.fold_indices(order, 10, fold)
        assert len(train) + len(val) + len(test) == 103
        assert len(set(train) | set(val) | set(test)) == 103    # disjoint, nothing lost
        assert len(val) == (103 - len(test)) // 10
        tests.append(test)
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(103))
    train, val, test = sentiment.fold_indices(order, 0, None)    # the single split
    np.testing.assert_array_equal(test, order[:10])
    np.testing.assert_array_equal(val, order[10:19])
    with pytest.raises(ValueError, match="fold 10"):
        sentiment.fold_indices(order, 10, 10)


def test_sentiment_options_are_validated():
    from gradwise.train.tasks import sentiment

    with pytest.raises(ValueError, match="--folds"):
        sentiment.Config(folds=1).validate()
    with pytest.raises(ValueError, match="--max-norm"):
        sentiment.Config(model="lstm", max_norm=3.0).validate()


def test_sentiment_cross_validation_runs_every_fold(shared_data, tmp_path, capsys):
    run_dir = tmp_path / "cv"
    code = main(["train", "sentiment", "--limit", "64", "--embed-size", "8", "--num-filters",
                 "4", "--folds", "3", "--max-norm", "0.5", "--max-steps", "2",
                 "--run-dir", str(run_dir)])
    assert code == 0, capsys.readouterr().err
    results = json.loads((run_dir / "results.json").read_text())
    accs = [results[f"fold_{i}_acc"] for i in range(3)]
    assert results["folds"] == 3 and results["cv_acc"] == pytest.approx(np.mean(accs))
    ckpt = load_checkpoint(run_dir / "fold-2" / "checkpoints")
    assert ckpt.extra["fold"] == 2
    w = next(v for k, v in ckpt.tensors.items() if k.endswith("fc.weight"))
    assert np.linalg.norm(np.asarray(w, np.float64), axis=1).max() <= 0.5 + 1e-5
    code = main(["eval", str(run_dir / "fold-2")])
    assert code == 0


def test_translate_test_size_holds_out_that_many_pairs(shared_data):
    from gradwise.train.tasks import translate

    train, val, test = translate._pairs(translate.Config(test_size=1000),
                                        np.random.default_rng(0))
    assert (len(train), len(val), len(test)) == (9070, 529, 1000)   # 10,599 tutorial pairs
    with pytest.raises(ValueError, match="--test-size"):
        translate._pairs(translate.Config(test_size=10_100), np.random.default_rng(0))
    with pytest.raises(ValueError, match="--test-size"):
        translate.Config(test_size=-1).validate()


def test_sentiment_restore_best_tests_the_best_validation_epoch(shared_data, tmp_path, capsys):
    run_dir = tmp_path / "best"
    code = main(["train", "sentiment", "--limit", "64", "--embed-size", "8", "--num-filters",
                 "4", "--epochs", "3", "--restore-best", "--run-dir", str(run_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    best = load_checkpoint(run_dir / "checkpoints", which="best")
    assert f"testing the best checkpoint: step {best.step}" in out
    vals = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    vals = [r for r in vals if r["split"] == "val"]
    assert best.step == max(vals, key=lambda r: r["acc"])["step"]
