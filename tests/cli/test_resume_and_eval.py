"""``--resume`` validates before it writes; ``eval`` refuses checkpoints edited into wrong
types or sizes and escapes what it prints from them; a kill during the epoch-end validation
does not duplicate metric rows."""
import pytest

from gradwise import cli
from gradwise.cli import main
from gradwise.train.trainer import Trainer
from helpers import edit_json

from .test_cli import TINY, assert_user_error, run_cli

ADDING = ["train", "adding", *TINY["adding"], "--quiet"]


@pytest.fixture
def adding_run(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_plot_quietly", lambda run_dir, quiet: None)
    run_dir = tmp_path / "run"
    assert main([*ADDING, "--max-steps", "2", "--run-dir", str(run_dir)]) == 0
    return run_dir


def files(run_dir):
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file()}


def test_a_refused_resume_changes_nothing_in_the_run(capsys, adding_run):
    before = files(adding_run)
    code, _, err = run_cli(capsys, "train", "adding", "--resume", adding_run, "--model", "gru",
                           "--max-steps", "3")
    assert_user_error(code, err, "is for model 'adding-lstm', not 'adding-gru'")
    assert files(adding_run) == before
    code, _, err = run_cli(capsys, "train", "adding", "--resume", adding_run, "--max-steps", "3",
                           "--quiet")
    assert code == 0, err


def test_resume_refuses_a_config_json_with_wrong_types(capsys, adding_run):
    edit_json(adding_run / "config.json", lambda c: c.update(hidden_size="8"))
    code, _, err = run_cli(capsys, "train", "adding", "--resume", adding_run)
    assert_user_error(code, err, "config.json: option 'hidden_size' must be an integer")


def ckpt_json(run_dir):
    (path,) = (run_dir / "checkpoints").glob("ckpt-*.json")
    return path


@pytest.mark.parametrize("change, fragment", [
    (lambda m: m.update(model="adding-lstm"), "'model' must be an object, got str"),
    (lambda m: m.update(step="2"), "'step' must be an integer >= 0, got str '2'"),
    (lambda m: m["extra"]["task_config"].update(seq_len="10"),
     "option 'seq_len' must be an integer, got a string '10'"),
    (lambda m: m["extra"]["task_config"].update(seq_len=10**9),
     "option 'seq_len' is 1000000000, beyond the bound"),
    (lambda m: m["extra"]["task_config"].update(seq_len=1), "--seq-len must be >= 2"),
    (lambda m: m["extra"].update(task_config="lstm"), "expected a JSON object, got str"),
    (lambda m: m["extra"].update(task=["adding"]), "was not written by 'gradwise train'"),
    (lambda m: m["model"]["config"].update(hidden_size=10**12), "asks for size"),
    (lambda m: m.update(tensors_file="../../../etc/passwd"), "'tensors_file' must be"),
])
def test_eval_refuses_checkpoints_with_wrong_types_or_sizes(capsys, adding_run, change,
                                                            fragment):
    edit_json(ckpt_json(adding_run), change)
    code, _, err = run_cli(capsys, "eval", adding_run)
    assert_user_error(code, err, fragment)


def test_eval_escapes_control_characters_of_names_read_from_the_checkpoint(capsys, adding_run):
    edit_json(ckpt_json(adding_run), lambda m: m["model"].update(name="\x1b]0;owned\x07lstm"))
    code, out, err = run_cli(capsys, "eval", adding_run)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "model \\x1b]0;owned\\x07lstm" in out


class Killed(BaseException):
    pass


def test_a_kill_during_epoch_end_validation_leaves_no_duplicate_metric_rows(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(cli, "_plot_quietly", lambda run_dir, quiet: None)
    args = [*ADDING, "--batch-size", "16", "--max-steps", "6", "--checkpoint-every", "4",
            "--log-every", "1"]
    full, part = tmp_path / "full", tmp_path / "part"
    assert main([*args, "--run-dir", str(full)]) == 0
    real = Trainer.evaluate_validation

    def killed_at_epoch_end(self, train_metrics=None):
        if train_metrics is not None:        # the end of an epoch, after its train rows
            raise Killed
        return real(self, train_metrics)

    monkeypatch.setattr(Trainer, "evaluate_validation", killed_at_epoch_end)
    with pytest.raises(Killed):
        main([*args, "--run-dir", str(part)])
    monkeypatch.setattr(Trainer, "evaluate_validation", real)
    assert main(["train", "adding", "--resume", str(part), "--quiet"]) == 0
    for name in ("metrics.csv", "metrics.jsonl"):
        assert (part / name).read_text() == (full / name).read_text(), name
