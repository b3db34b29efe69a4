"""Command-line smoke tests: every task with a tiny budget, eval/sample/translate/plot/summary/
bench, resume, and the one-line errors (exit status 2, no traceback).

Most tests call ``main(argv)`` in-process (fast); a few run the installed ``gradwise`` script.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from gradwise.cli import format_attention, main

TINY = {
    "mnist": ["--limit", "64", "--batch-size", "16"],
    "charlm": ["--max-chars", "6000", "--hidden-size", "16", "--embed-size", "8", "--bptt", "16",
               "--batch-size", "4", "--sample-length", "20"],
    "wordlm": ["--limit", "3000", "--hidden-size", "16", "--embed-size", "16", "--num-layers",
               "1", "--bptt", "10", "--sample-length", "5"],
    "sentiment": ["--limit", "64", "--embed-size", "8", "--hidden-size", "8", "--num-filters",
                  "4"],
    "pos": ["--limit", "40", "--embed-size", "8", "--hidden-size", "8"],
    "translate": ["--limit", "64", "--embed-size", "8", "--hidden-size", "8",
                  "--bleu-examples", "4"],
    "poetry": ["--corpus", "tangshi300", "--limit", "3000", "--hidden-size", "16",
               "--embed-size", "8", "--sample-length", "10"],
    "adding": ["--seq-len", "10", "--limit", "64", "--hidden-size", "8"],
    "esn": ["--length", "400", "--reservoir-size", "30", "--washout", "20"],
    "caption": ["--limit", "32", "--hidden-size", "8", "--embedding-dim", "4"],
}


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def train(capsys, tmp_path, task, *extra):
    run_dir = tmp_path / task
    code, out, err = run_cli(capsys, "train", task, *TINY[task], "--max-steps", "2",
                             "--run-dir", run_dir, *extra)
    assert code == 0, err
    return run_dir, out


def assert_user_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith("gradwise: error: ") and lines[-1].startswith("hint: ")
    assert len(lines) == 2, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err


@pytest.mark.parametrize("task", list(TINY))
def test_every_task_trains_with_a_tiny_budget_and_evaluates(capsys, tmp_path, task, request):
    if task in ("mnist", "wordlm", "sentiment", "pos", "translate", "poetry"):
        request.getfixturevalue("shared_data")          # the real datasets of ../shared/data
    run_dir, out = train(capsys, tmp_path, task)
    results = json.loads((run_dir / "results.json").read_text())
    assert results and all(isinstance(v, (int, float, str)) for v in results.values())
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task"] == task
    ckpts = list((run_dir / "checkpoints").glob("ckpt-*.json"))
    assert ckpts, "every task saves a checkpoint"
    code, out, err = run_cli(capsys, "eval", run_dir)
    assert code == 0, err
    assert f"({task}," in out


@pytest.mark.parametrize("model", ["lstm", "bilstm", "gru"])
def test_sentiment_recurrent_models(capsys, tmp_path, model, shared_data):
    run_dir, _ = train(capsys, tmp_path, "sentiment", "--model", model)
    assert json.loads((run_dir / "results.json").read_text())["test_acc"] >= 0.0


@pytest.mark.parametrize("model", ["rnn", "gru", "irnn"])
def test_adding_models_record_gradient_flow(capsys, tmp_path, model):
    run_dir, _ = train(capsys, tmp_path, "adding", "--model", model)
    flow = json.loads((run_dir / "gradient_flow.json").read_text())
    (norms,) = flow["series"].values()
    assert len(norms) == 10                              # one norm per time step (--seq-len)


def test_resume_continues_a_run_from_its_checkpoint(capsys, tmp_path):
    run_dir, _ = train(capsys, tmp_path, "adding", "--checkpoint-every", "1")
    code, out, err = run_cli(capsys, "train", "adding", "--resume", run_dir, "--max-steps", "4")
    assert code == 0, err
    assert "resumed from step 2" in out
    index = json.loads((run_dir / "checkpoints" / "index.json").read_text())
    assert index["latest"] == "ckpt-00000004"


def test_config_file_sets_options_and_flags_override_it(capsys, tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"hidden_size": 6, "seq_len": 8, "max_steps": 1}))
    run_dir = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "adding", "--config", cfg, "--seq-len", "7",
                           "--limit", "32", "--run-dir", run_dir, "--quiet")
    assert code == 0, err
    saved = json.loads((run_dir / "config.json").read_text())
    assert (saved["hidden_size"], saved["seq_len"], saved["max_steps"]) == (6, 7, 1)
    cfg.write_text(json.dumps({"hidden_sise": 6}))
    code, _, err = run_cli(capsys, "train", "adding", "--config", cfg)
    assert_user_error(code, err, "unknown option(s) ['hidden_sise']")


def test_sample_from_a_char_model_is_deterministic_under_a_seed(capsys, tmp_path):
    run_dir, out = train(capsys, tmp_path, "charlm")
    assert "sample:" in out
    args = ["sample", run_dir, "--prompt", "def ", "--length", "30", "--seed", "3",
            "--top-k", "5", "--top-p", "0.9"]
    code, first, err = run_cli(capsys, *args)
    assert code == 0, err
    code, second, _ = run_cli(capsys, *args)
    assert first == second and first.startswith("def ") and len(first.rstrip("\n")) >= 30
    code, greedy, _ = run_cli(capsys, "sample", run_dir, "--prompt", "x", "--temperature", "0",
                              "--length", "10")
    assert code == 0
    code, _, err = run_cli(capsys, "sample", run_dir, "--top-p", "1.5")
    assert_user_error(code, err, "--top-p must lie in (0, 1]")


def test_translate_prints_the_attention_table_or_writes_a_heatmap(capsys, tmp_path,
                                                                  shared_data):
    run_dir, _ = train(capsys, tmp_path, "translate")
    code, out, err = run_cli(capsys, "translate", run_dir, "Je suis content.")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[2].split() == ["je", "suis", "content", ".", "<eos>"]   # the table header
    png = tmp_path / "att.png"
    code, out, err = run_cli(capsys, "translate", run_dir, "Je suis content.", "--beam", "2",
                             "--heatmap", png)
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli(capsys, "sample", run_dir)
    assert_user_error(code, err, "does not generate text")


def test_attention_table_layout():
    table = format_attention(["a", "b"], ["x"], [[0.25, 0.75]])
    assert table.splitlines() == ["            a     b",      # columns right-aligned
                                  "     x   0.25  0.75"]


def test_plot_writes_pngs_and_explains_a_missing_matplotlib(capsys, tmp_path, monkeypatch):
    run_dir, _ = train(capsys, tmp_path, "adding")
    assert (run_dir / "curves.png").exists() and (run_dir / "gradient_flow.png").exists()
    (run_dir / "curves.png").unlink()
    code, out, err = run_cli(capsys, "plot", run_dir)
    assert code == 0, err
    assert "curves.png" in out and (run_dir / "curves.png").exists()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run_cli(capsys, "plot", run_dir)
    assert_user_error(code, err, "pip install 'gradwise[plot]'")


def test_demo_quick_trains_samples_and_plots_gradient_flow(capsys, tmp_path):
    code, out, err = run_cli(capsys, "demo", "--quick", "--runs-dir", tmp_path)
    assert code == 0, err
    (run_dir,) = tmp_path.glob("demo-*")
    assert "sampled from the trained model" in out and "def " in out
    assert (run_dir / "gradient_flow.png").exists()
    flow = json.loads((run_dir / "gradient_flow.json").read_text())["series"]
    assert set(flow) == {"tanh RNN (untrained)", "LSTM (untrained)", "LSTM (trained)"}
    # the seeds' lesson: from 30 steps back, the tanh RNN's gradient has vanished far more
    assert flow["tanh RNN (untrained)"][0] < flow["LSTM (untrained)"][0]


def test_demo_runs_with_numpy_alone_and_says_what_the_extras_add(capsys, tmp_path,
                                                                  monkeypatch):
    for extra in ("matplotlib", "tqdm", "safetensors", "tensorboardX"):
        monkeypatch.setitem(sys.modules, extra, None)        # as if not installed
    code, out, err = run_cli(capsys, "demo", "--quick", "--runs-dir", tmp_path)
    assert code == 0, err
    assert "pip install 'gradwise[plot]'" in out
    assert "pip install 'gradwise[checkpoint]'" in out
    assert "epoch 1:" in out                                  # plain progress lines
    (run_dir,) = tmp_path.glob("demo-*")
    assert (run_dir / "gradient_flow.json").exists()
    assert not (run_dir / "gradient_flow.png").exists()


def test_corrupted_checkpoint_is_one_line_and_a_hint(capsys, tmp_path):
    run_dir, _ = train(capsys, tmp_path, "adding")
    (tensors,) = (run_dir / "checkpoints").glob("*.safetensors")
    data = bytearray(tensors.read_bytes())
    data[-1] ^= 0xFF
    tensors.write_bytes(bytes(data))
    before = tensors.read_bytes()
    code, _, err = run_cli(capsys, "eval", run_dir)
    assert_user_error(code, err, "corrupted")
    assert tensors.read_bytes() == before
    code, _, err = run_cli(capsys, "train", "adding", "--resume", run_dir, "--max-steps", "3")
    assert_user_error(code, err, "corrupted")


@pytest.mark.parametrize("argv, fragment", [
    (["train", "mnist", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "mnist", "--epochs", "x"], "invalid int value: 'x'"),
    (["train", "adding", "--optimizer", "sgdd"], "--optimizer 'sgdd' is unknown"),
    (["train", "adding", "--model", "cnn"], "--model 'cnn' is unknown"),
    (["train", "adding", "--epochs", "0"], "--epochs must be >= 1"),
    (["train", "nope"], "invalid choice: 'nope'"),
    (["eval", "/no/such/ckpt.json"], "checkpoint not found"),
    (["summary", "resnet9000", "--input", "1x3x8x8"], "unknown model 'resnet9000'"),
    (["summary", "lenet5", "--input", "1xthree"], "not a shape like 1x3x224x224"),
    (["plot", "/no/such/run"], "run directory not found"),
    (["train", "mnist", "--data-root", "/no/such/dir", "--max-steps", "1"], "mnist"),
    (["train", "adding", "--resume", "/no/such/run"], "not a run directory"),
])
def test_user_errors_exit_2_with_one_line_and_a_hint(capsys, argv, fragment, tmp_path,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert_user_error(code, err, fragment)
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("argv", [[], ["demo"], ["train"], ["train", "mnist"], ["eval"],
                                  ["sample"], ["translate"], ["summary"], ["plot"], ["bench"]])
def test_help_on_every_command(capsys, argv):
    code, out, _ = run_cli(capsys, *argv, "--help")
    assert code == 0 and out.startswith("usage: gradwise")


def test_summary_prints_the_shape_table(capsys):
    code, out, err = run_cli(capsys, "summary", "lenet5", "--input", "1x1x32x32")
    assert code == 0, err
    assert "61,706" in out or "61706" in out


def test_bench_runs_the_benchmark_scripts_or_says_how_to_install_torch(capsys, tmp_path,
                                                                       monkeypatch):
    import importlib.util

    from gradwise import cli

    for name in ("bench_conv.py", "bench_rnn.py"):
        (tmp_path / name).write_text(f"import sys; print('{name}', sys.argv[1:])\n")
    monkeypatch.setattr(cli, "_benchmarks_dir", lambda: tmp_path)
    code = main(["bench", "--only", "rnn", "--rounds", "1", "--repeat", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "== bench_rnn.py ==" in out
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    code, _, err = run_cli(capsys, "bench")
    assert_user_error(code, err, "pip install torch==2.13.0")


def test_installed_console_script_reports_bad_flags_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gradwise.cli", "train", "adding", "--nope"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == "gradwise: error: unrecognized arguments: --nope"
    assert "Traceback" not in proc.stderr
    assert pathlib.Path(sys.executable).exists()


@pytest.mark.parametrize("task", ["adding", "charlm"])
def test_interrupted_cli_run_resumed_matches_an_uninterrupted_one_bitwise(capsys, tmp_path,
                                                                         task):
    import safetensors.numpy

    def tensors(run_dir, step):
        path = run_dir / "checkpoints" / f"ckpt-{step:08d}.safetensors"
        return safetensors.numpy.load_file(str(path))

    full = tmp_path / "full"
    assert main(["train", task, *TINY[task], "--max-steps", "4", "--run-dir", str(full),
                 "--quiet"]) == 0
    part = tmp_path / "part"
    assert main(["train", task, *TINY[task], "--max-steps", "2", "--run-dir", str(part),
                 "--quiet"]) == 0
    assert main(["train", task, "--resume", str(part), "--max-steps", "4", "--quiet"]) == 0
    a, b = tensors(full, 4), tensors(part, 4)
    assert a.keys() == b.keys() and any(k.startswith("optimizer.") for k in a)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
