"""The ring-allreduce cost model of benchmarks/bench_distributed.py (docs/distributed.md)."""
import importlib.util
import pathlib
import sys

import pytest

PATH = pathlib.Path(__file__).parents[2] / "benchmarks" / "bench_distributed.py"
spec = importlib.util.spec_from_file_location("bench_distributed", PATH)
bench = importlib.util.module_from_spec(spec)
sys.modules.setdefault("bench_distributed", bench)  # dataclasses look their module up
spec.loader.exec_module(bench)

MiB = 2 ** 20


def test_ring_allreduce_matches_formula():
    assert bench.ring_allreduce_s(1e9, 1, 1e9, 1e-3) == 0.0
    assert bench.ring_allreduce_s(1e9, 2, 1e9, 0.0) == pytest.approx(1.0)      # 2·1/2
    assert bench.ring_allreduce_s(1e9, 8, 1e9, 0.0) == pytest.approx(1.75)     # 2·7/8
    # latency: 2(N−1) steps per allreduce, once per bucket
    assert bench.ring_allreduce_s(0, 64, 1e9, 1e-5, messages=5) == pytest.approx(2 * 63 * 5e-5)
    with pytest.raises(ValueError):
        bench.ring_allreduce_s(1, 0, 1e9, 0.0)


def test_bucket_bytes_follow_ddp_layout():
    assert bench.bucket_bytes(246_824) == [246_824]                      # LeNet-5: one bucket
    sizes = bench.bucket_bytes(25.6e6 * 4)                               # ResNet-50
    assert sizes[0] == MiB and all(s == 25 * MiB for s in sizes[1:-1])
    assert 0 < sizes[-1] <= 25 * MiB and sum(sizes) == pytest.approx(25.6e6 * 4)
    assert len(sizes) == 5


def test_predict_step_limits():
    fast = bench.predict_step(25.6e6, 1e12, 1e11, 8, 1e15, 0.0)         # free network
    assert fast.compute_s == pytest.approx(10.0)
    assert fast.efficiency == pytest.approx(1.0, abs=1e-6) and fast.dominant == "compute"
    slow = bench.predict_step(25.6e6, 1e9, 1e11, 64, 1e6, 1e-6)          # 1 MB/s links
    assert slow.dominant == "bandwidth" and slow.efficiency < 0.01
    assert slow.step_s == pytest.approx(slow.compute_s + slow.exposed_s)
    # communication shorter than backward: only the last bucket shows
    p = bench.predict_step(25.6e6, 1e12, 1e11, 8, 1.25e9, 25e-6)
    last = bench.ring_allreduce_s(bench.bucket_bytes(25.6e6 * 4)[-1], 8, 1.25e9, 25e-6)
    assert p.exposed_s == pytest.approx(last)
    assert bench.predict_step(25.6e6, 1e12, 1e11, 1, 1e9, 1e-5).efficiency == 1.0


def test_predict_step_tail_is_never_hidden():
    # everything final only at the end of backward: the whole allreduce is exposed
    p = bench.predict_step(20e6, 1e12, 1e11, 8, 1.25e9, 25e-6, tail_params=20e6)
    assert p.exposed_s == pytest.approx(p.allreduce_s)
    # a head longer than backward shows its excess, plus the tail
    bw, a = 1e8, 1e-5
    q = bench.predict_step(20e6, 3e9, 1e11, 2, bw, a, tail_params=5e6)   # backward 20 ms
    head = sum(bench.ring_allreduce_s(b, 2, bw, a) for b in bench.bucket_bytes(60e6))
    tail = sum(bench.ring_allreduce_s(b, 2, bw, a)
               for b in bench.bucket_bytes(20e6, first=25 * MiB))
    assert q.exposed_s == pytest.approx(head - 0.02 + tail)
    assert q.allreduce_s == pytest.approx(head + tail)


def test_fit_alpha_beta_recovers_parameters():
    sizes = [4096, 1 << 20, 16 << 20, 64 << 20]
    times = [2e-5 + s / 2e9 for s in sizes]                               # 2 ranks: 2(W−1)/W = 1
    alpha, beta = bench.fit_alpha_beta(sizes, times, nodes=2)
    assert alpha == pytest.approx(2e-5, rel=1e-6) and beta == pytest.approx(2e9, rel=1e-6)
