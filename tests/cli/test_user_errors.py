"""Every failure a user can cause is one ``gradwise: error:`` line plus a hint, exit status 2,
no traceback and no files left behind; a bug shows its traceback and how to report it."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from gradwise import cli
from gradwise.cli import main
from gradwise.train.errors import UserError
from gradwise.train.logging import lock_run_dir

from .test_cli import TINY, assert_user_error, run_cli

ADDING = ["train", "adding", *TINY["adding"], "--quiet"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_no_run_left(tmp_path):
    runs = tmp_path / "runs"
    assert not runs.exists() or not list(runs.iterdir()), list(runs.iterdir())


def test_a_bug_shows_its_traceback_and_how_to_report_it(capsys, monkeypatch):
    def broken(args):
        raise ValueError("internal invariant broken")   # not a user error: no flag named

    monkeypatch.setattr(cli, "cmd_summary", broken)
    code, _, err = run_cli(capsys, "summary", "lenet5", "--input", "1x1x32x32")
    assert code == 1
    assert "Traceback" in err and "internal invariant broken" in err
    assert cli.REPORT_URL in err.splitlines()[-1]


def test_user_error_is_one_type_and_a_value_error():
    from gradwise.train import CheckpointError
    from gradwise.train import UserError as exported

    assert exported is UserError and cli.CLIError is UserError
    assert issubclass(CheckpointError, UserError) and issubclass(UserError, ValueError)


@pytest.mark.parametrize("values, fragment", [
    ({"lr": "0.1"}, "option 'lr' must be a number, got a string '0.1'"),
    ({"batch_size": None}, "option 'batch_size' must be an integer, got null"),
    ({"batch_size": 2.5}, "option 'batch_size' must be an integer, got a number 2.5"),
    ({"chrono": "yes"}, "option 'chrono' must be true or false"),
    ({"clip": [1]}, "option 'clip' must be a number or null, got a JSON array"),
])
def test_config_file_values_are_checked_against_the_config_annotations(capsys, in_tmp, values,
                                                                       fragment):
    (in_tmp / "cfg.json").write_text(json.dumps(values))
    code, _, err = run_cli(capsys, *ADDING, "--config", "cfg.json")
    assert_user_error(code, err, "--config cfg.json", fragment)
    assert_no_run_left(in_tmp)


def test_config_file_int_for_a_float_option_is_accepted(capsys, in_tmp):
    (in_tmp / "cfg.json").write_text(json.dumps({"lr": 1, "max_steps": 1}))
    code, _, err = run_cli(capsys, *ADDING, "--config", "cfg.json", "--lr", "0.01")
    assert code == 0, err


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.mkdir(), "is a directory, not a JSON file"),
    (lambda p: p.write_text("[" * 200_000), "JSON nested too deeply"),
    (lambda p: p.write_bytes(b"\xff\xfe{"), "cannot be read"),
])
def test_unreadable_config_files_are_refused_cleanly(capsys, in_tmp, make, fragment):
    make(in_tmp / "cfg.json")
    code, _, err = run_cli(capsys, *ADDING, "--config", "cfg.json")
    assert_user_error(code, err, fragment)
    assert_no_run_left(in_tmp)


@pytest.mark.parametrize("flag, target", [
    ("--run-dir", "afile"), ("--run-dir", "afile/run"), ("--runs-dir", "afile/runs"),
    ("--resume", "afile"),
])
def test_run_dir_that_is_a_file_or_under_one_is_refused(capsys, in_tmp, flag, target):
    (in_tmp / "afile").write_text("not a directory\n")
    code, _, err = run_cli(capsys, *ADDING, flag, target)
    assert_user_error(code, err, flag, "a file, not a directory")
    assert (in_tmp / "afile").read_text() == "not a directory\n"


def test_negative_time_budget_is_refused(capsys, in_tmp):
    code, _, err = run_cli(capsys, *ADDING, "--time-budget", "-1")
    assert_user_error(code, err, "--time-budget must be > 0")
    assert_no_run_left(in_tmp)


def test_divergence_is_one_line_and_removes_a_run_without_checkpoint(capsys, in_tmp):
    code, _, err = run_cli(capsys, *ADDING, "--lr", "inf", "--max-steps", "3")
    assert_user_error(code, err, "training diverged", "the run directory was removed",
                      "--lr")
    assert_no_run_left(in_tmp)


def test_divergence_after_a_checkpoint_says_where_the_run_stays(capsys, in_tmp, monkeypatch):
    from gradwise.train import trainer

    real = trainer.Trainer._train_step

    def diverge_at_step_3(self, batch):
        if self.step == 2:
            raise FloatingPointError("Trainer: the loss became inf at step 3")
        real(self, batch)

    monkeypatch.setattr(trainer.Trainer, "_train_step", diverge_at_step_3)
    code, _, err = run_cli(capsys, *ADDING, "--checkpoint-every", "1", "--max-steps", "4",
                           "--run-dir", "r")
    assert_user_error(code, err, "training diverged", "stay in r")
    assert (in_tmp / "r" / "checkpoints" / "ckpt-00000002.json").exists()


def test_second_process_on_the_same_run_dir_is_refused(capsys, in_tmp):
    run_dir = in_tmp / "busy"
    run_dir.mkdir()
    with lock_run_dir(run_dir):
        code, _, err = run_cli(capsys, *ADDING, "--run-dir", run_dir)
    assert_user_error(code, err, f"run directory {run_dir} is in use by process {os.getpid()}")
    assert sorted(p.name for p in run_dir.iterdir()) == [".lock"]
    code, _, err = run_cli(capsys, *ADDING, "--run-dir", run_dir, "--max-steps", "1")
    assert code == 0, err


def test_broken_pipe_on_stdout_ends_quietly(capsys, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(["summary", "lenet5", "--input", "1x1x32x32"])
    monkeypatch.undo()
    assert code == 141
    assert "Traceback" not in capsys.readouterr().err


def test_closed_stdout_of_the_installed_script_gives_no_traceback(tmp_path):
    read, write = os.pipe()
    os.close(read)                      # like `| head -1` that has already exited
    proc = subprocess.run([sys.executable, "-m", "gradwise.cli", "summary", "lenet5", "--input",
                           "1x1x32x32"], stdout=write, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path, timeout=120)
    os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_sample_length_must_be_positive(capsys, tmp_path):
    run_dir = tmp_path / "lm"
    assert main(["train", "charlm", *TINY["charlm"], "--max-steps", "1",
                 "--run-dir", str(run_dir), "--quiet"]) == 0
    capsys.readouterr()
    code, _, err = run_cli(capsys, "sample", run_dir, "--length", "-5")
    assert_user_error(code, err, "--length must be >= 1")


def test_printable_escapes_terminal_control_sequences():
    assert cli.printable("a\x1b]0;pwned\x07b\n") == "a\\x1b]0;pwned\\x07b\\n"
    assert cli.printable("line 1\nline 2\tx\x9b", keep="\n\t") == "line 1\nline 2\tx\\x9b"
    assert cli.printable("héllo 世界") == "héllo 世界"


def test_error_messages_escape_control_characters_from_files(capsys, in_tmp):
    (in_tmp / "cfg.json").write_text(json.dumps({"\x1b[2Jbogus": 1}))
    code, _, err = run_cli(capsys, *ADDING, "--config", "cfg.json")
    assert_user_error(code, err, "\\x1b[2Jbogus")
    assert "\x1b" not in err


def test_file_not_found_keeps_its_hint_but_other_builtin_errors_are_bugs(capsys):
    exc = ValueError("cannot reshape array of size 0")
    assert cli._hint_for(exc) == (None, None)
    assert cli._hint_for(KeyError("model"))[0] is None
    assert cli._hint_for(UserError("bad", "fix it")) == ("bad", "fix it")
    assert cli._hint_for(FileNotFoundError("no such file: x"))[1] == "check the path"


def test_every_user_error_of_the_run_leaves_no_file(capsys, in_tmp):
    code, _, err = run_cli(capsys, "train", "charlm", "--corpus", "no/such.txt", "--quiet")
    assert_user_error(code, err, "--corpus")
    assert_no_run_left(in_tmp)
    assert not any(pathlib.Path(in_tmp).rglob("*.tmp-*"))
