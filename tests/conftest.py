import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # so tests can `import helpers`

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def shared_data():
    """Path of ../shared/data beside the repo (the real datasets)."""
    if not SHARED_DATA.exists():
        pytest.fail(f"real-data test needs {SHARED_DATA}")
    return SHARED_DATA
