"""`gradwise eval RUN RUN ...`: the ensemble of averaged class probabilities (models.Ensemble)."""
import json

import numpy as np
import pytest

import gradwise as gw
from gradwise.cli import main
from gradwise.models import Ensemble
from gradwise.train.checkpoint import load_checkpoint
from gradwise.train.runner import evaluate_ensemble
from gradwise.train.tasks import pos


class _Fixed(gw.nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return gw.tensor(self.logits) * x


def test_ensemble_is_the_log_of_the_mean_probability():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 5))
    out = Ensemble([_Fixed(a), _Fixed(b)])(1.0).array
    softmax = lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(np.exp(out), (softmax(a) + softmax(b)) / 2, rtol=1e-12)
    np.testing.assert_allclose(Ensemble([_Fixed(a)])(1.0).array,
                               np.log(softmax(a)), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="at least one member"):
        Ensemble([])


def _train(capsys, run_dir, seed, *extra):
    code = main(["train", "pos", "--limit", "40", "--max-steps", "2", "--embed-size", "8",
                 "--hidden-size", "8", "--char-embed-size", "4", "--char-filters", "3",
                 "--seed", str(seed), "--run-dir", str(run_dir), *extra])
    _, err = capsys.readouterr()
    assert code == 0, err
    return json.loads((run_dir / "results.json").read_text())


def test_cli_evaluates_several_pos_runs_as_one_ensemble(capsys, tmp_path, shared_data):
    one = _train(capsys, tmp_path / "a", 0)
    _train(capsys, tmp_path / "b", 1)
    code = main(["eval", str(tmp_path / "a"), str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("evaluating") == 2 and "test_acc" in out
    # the CLI's figures are the ensemble's: recompute them through the runner
    results = evaluate_ensemble(pos, [tmp_path / "a", tmp_path / "b"], quiet=True)
    assert f"{results['test_acc']:.4f}" in out
    # an ensemble of one checkpoint is that checkpoint
    alone = evaluate_ensemble(pos, [tmp_path / "a"], quiet=True)
    assert alone["test_acc"] == pytest.approx(one["test_acc"], abs=1e-12)
    assert alone["test_loss"] == pytest.approx(one["test_loss"], rel=1e-5)


def test_ensembles_of_other_vocabularies_or_tasks_are_refused(capsys, tmp_path, shared_data):
    _train(capsys, tmp_path / "a", 0)
    _train(capsys, tmp_path / "c", 0, "--min-freq", "1")  # another word vocabulary
    code = main(["eval", str(tmp_path / "a"), str(tmp_path / "c")])
    _, err = capsys.readouterr()
    assert code != 0 and "differs from" in err and "vocab" in err
    code = main(["train", "adding", "--max-steps", "1", "--seq-len", "5",
                 "--run-dir", str(tmp_path / "add")])
    capsys.readouterr()
    assert code == 0
    code = main(["eval", str(tmp_path / "add"), str(tmp_path / "add")])
    _, err = capsys.readouterr()
    assert code != 0 and "cannot be evaluated as an ensemble" in err and "pos" in err
    code = main(["eval", str(tmp_path / "a"), str(tmp_path / "add")])
    _, err = capsys.readouterr()
    assert code != 0 and "one task" in err
