"""PyTorch programs run on gradwise after the import swap alone, with PyTorch's losses from the
same initial weights (tiny sizes, a few steps)."""
import numpy as np
import pytest
from compat.swap import run_both, swap_imports


def test_swap_changes_only_import_lines():
    src = ("import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
           "from torch import optim\nx = torch.zeros(2)  # torch stays torch in the body\n")
    assert swap_imports(src) == (
        "import gradwise as torch\nimport gradwise.nn as nn\n"
        "from gradwise.utils.data import DataLoader\nfrom gradwise import optim\n"
        "x = torch.zeros(2)  # torch stays torch in the body\n")


@pytest.mark.parametrize("name, steps", [
    ("mnist_cnn", 4), ("word_lm", 4), ("regression", 5), ("policy_gradient", 4), ("vae", 3),
    ("dcgan", 3), ("sine_lstmcell", 3), ("seq2seq_gru", 3),
])
def test_program_gives_pytorch_losses_after_the_import_swap(name, steps):
    theirs, ours = run_both(name, steps)
    assert theirs.shape == ours.shape and np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5)
