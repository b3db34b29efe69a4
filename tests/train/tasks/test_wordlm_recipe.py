"""wordlm options of Zaremba et al.'s recipe: U(±s) init, lr halved per epoch after epoch N."""
import json

import numpy as np
import pytest

from gradwise.cli import main
from gradwise.core.random import manual_seed
from gradwise.models.rnn_lm import RNNLanguageModel
from gradwise.train.tasks import wordlm


def test_epoch_decay_is_zaremba_schedule():
    decay = wordlm.EpochDecay(1.0, after=4, decay=0.5)
    lrs = [decay.lr_at(e) for e in range(13)]           # epochs 1..13
    assert lrs[:4] == [1.0] * 4
    assert lrs[4:] == [0.5 ** k for k in range(1, 10)]  # epoch 13 at 1/512


def test_init_uniform_fills_every_parameter_within_scale():
    manual_seed(0)
    model = RNNLanguageModel(50, 8, 8, num_layers=2)
    wordlm.init_uniform(model, 0.1)
    for name, p in model.named_parameters():
        assert np.abs(p.array).max() <= 0.1, name
        assert np.abs(p.array).max() > 0.08, name       # spread over the range, not left at 0
        assert np.abs(p.array.mean()) < 0.05, name


def test_defaults_are_zarembas_small_recipe_in_the_mean_loss_convention():
    """lr 1 / clip 5 on a loss summed over 20 steps = lr 20 / clip 0.25 on the per-token mean."""
    config = wordlm.Config()
    assert (config.bptt, config.batch_size, config.num_layers, config.hidden_size) == (20, 20, 2, 200)
    assert config.lr / config.bptt == 1.0 and config.clip * config.bptt == 5.0


@pytest.mark.parametrize("kwargs, fragment", [
    ({"init_scale": 0.0}, "--init-scale"),
    ({"decay_after": 0}, "--decay-after"),
    ({"decay_after": 2, "scheduler": "cosine"}, "--scheduler none"),
    ({"lr_decay": 1.5}, "--lr-decay"),
])
def test_recipe_options_are_validated(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        wordlm.Config(**kwargs).validate()


def test_cli_run_halves_lr_per_epoch_after_decay_after(tmp_path, capsys, shared_data):
    run_dir = tmp_path / "wl"
    code = main(["train", "wordlm", "--limit", "3000", "--hidden-size", "8", "--embed-size", "8",
                 "--num-layers", "1", "--sample-length", "3", "--epochs", "3", "--decay-after",
                 "1", "--log-every", "1", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    lr_by_epoch = {r["epoch"]: r["lr"] for r in records if r.get("split") == "train" and "lr" in r}
    assert lr_by_epoch == {0: 20.0, 1: 10.0, 2: 5.0}
