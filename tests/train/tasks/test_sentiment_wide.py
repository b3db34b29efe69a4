"""sentiment --wide: Kim's wide convolution for TextCNN, validated and carried into checkpoints."""
import json

import pytest

from gradwise.cli import main
from gradwise.train.tasks import sentiment


def test_wide_is_a_textcnn_option():
    with pytest.raises(ValueError, match="--wide is a TextCNN option"):
        sentiment.Config(model="lstm", wide=True).validate()


def test_wide_run_records_it_in_the_model_config(tmp_path, capsys, shared_data):
    run_dir = tmp_path / "wide"
    code = main(["train", "sentiment", "--limit", "64", "--embed-size", "8", "--num-filters", "2",
                 "--wide", "--max-steps", "1", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert json.loads((run_dir / "config.json").read_text())["wide"] is True
    assert main(["eval", str(run_dir)]) == 0  # the checkpoint rebuilds the wide model
