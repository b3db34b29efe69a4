"""Under mpiexec (world size > 1) the truncated-BPTT tasks refuse with one UserError, before
any data is read; in one process they build as before."""
import pytest

from gradwise import distributed
from gradwise.train.errors import UserError
from gradwise.train.tasks import TASKS, charlm, poetry, wordlm


@pytest.fixture
def two_ranks(monkeypatch):
    monkeypatch.setattr(distributed, "launched_by_mpi", lambda: True)
    monkeypatch.setattr(distributed, "get_world_size", lambda: 2)


def no_data(config):
    raise AssertionError("the refusal comes before the data is read")


@pytest.mark.parametrize("task", [charlm, poetry, wordlm], ids=lambda t: t.__name__)
def test_truncated_bptt_tasks_refuse_data_parallel_training(task, two_ranks, monkeypatch):
    if hasattr(task, "load_corpus"):
        monkeypatch.setattr(task, "load_corpus", lambda config: "ab" * 200)
    monkeypatch.setattr(wordlm, "_tokens", no_data)
    with pytest.raises(UserError) as info:
        task.build(task.Config(batch_size=2, bptt=4))
    message = str(info.value)
    assert message.startswith("data-parallel training (mpiexec, 2 ranks) does not support "
                              "truncated-BPTT tasks (charlm, wordlm, poetry)")
    others = [t for t in TASKS if t not in ("charlm", "wordlm", "poetry")]
    assert message.endswith(f"supported: {', '.join(others)}") and "mnist, sentiment" in message
    assert "without mpiexec" in info.value.hint


def test_the_demo_path_refuses_too(two_ranks):
    with pytest.raises(UserError, match="truncated-BPTT"):
        charlm.build_from_text(charlm.Config(batch_size=2, bptt=4), "ab" * 200)


def test_one_process_builds_the_language_model():
    parts = charlm.build_from_text(charlm.Config(batch_size=2, bptt=4, hidden_size=8,
                                                 embed_size=4), "ab" * 200)
    assert parts.model_name == "char-lstm" and len(parts.train_loader) > 0
