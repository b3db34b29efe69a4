"""charlm/poetry --val-fraction: the last fraction of the text validates (nanoGPT's 90/10)."""
import json

import pytest

from gradwise.cli import main
from gradwise.train.tasks import charlm


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_val_fraction_out_of_range_is_rejected(fraction):
    with pytest.raises(ValueError, match="--val-fraction"):
        charlm.Config(val_fraction=fraction).validate()


def test_val_fraction_sets_the_split(tmp_path, capsys):
    text = "".join(chr(97 + (i * 7) % 26) for i in range(2000))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(text)
    sizes = {}
    for fraction in (0.05, 0.1):
        code = main(["train", "charlm", "--corpus", str(corpus), "--hidden-size", "8",
                     "--embed-size", "4", "--bptt", "8", "--batch-size", "4", "--max-steps", "1",
                     "--sample-length", "2", "--val-fraction", str(fraction),
                     "--run-dir", str(tmp_path / f"r{fraction}")])
        out = capsys.readouterr().out
        assert code == 0
        sizes[fraction] = out.split("training / ")[1].split(" validation")[0]
    assert sizes == {0.05: "100", 0.1: "200"}                # last 5% / 10% of 2,000 chars
    config = json.loads((tmp_path / "r0.1" / "config.json").read_text())
    assert config["val_fraction"] == 0.1
