"""keep_freed_memory: glibc's mallopt is called with M_MMAP_MAX 0 and a maximal trim threshold."""
import numpy as np
import pytest

from gradwise.core import memory


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(memory, "_applied", False)


def test_sets_both_glibc_parameters_once(monkeypatch, fresh):
    calls = []
    monkeypatch.setattr(memory, "_mallopt", lambda: lambda p, v: calls.append((p, v)) or 1)
    assert memory.keep_freed_memory() is True
    assert memory.keep_freed_memory() is True
    assert calls == [(memory.M_MMAP_MAX, 0), (memory.M_TRIM_THRESHOLD, 2**31 - 1)]


def test_reports_false_without_glibc_or_when_mallopt_refuses(monkeypatch, fresh):
    monkeypatch.setattr(memory, "_mallopt", lambda: None)
    assert memory.keep_freed_memory() is False
    monkeypatch.setattr(memory, "_mallopt", lambda: lambda p, v: 0)   # mallopt's error return
    assert memory.keep_freed_memory() is False


def test_real_call_leaves_numpy_working(fresh):
    applied = memory.keep_freed_memory()
    assert applied == (memory._mallopt() is not None)
    a = np.ones(10_000_000, np.float32)                   # 40 MB: from the heap when applied
    del a
    assert np.ones(10_000_000, np.float32).sum() == 10_000_000
