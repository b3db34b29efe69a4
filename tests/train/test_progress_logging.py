"""Progress display (tqdm or plain lines, --quiet) and run logs (CSV, JSONL, TensorBoard)."""
import datetime as dt
import io
import json
import struct

from gradwise.train.logging import MetricLogger, make_run_dir, read_metrics, save_config
from gradwise.train.progress import LinePrinter, Silent, TqdmBar, format_seconds, make_progress


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_line_printer_shows_metrics_rate_and_eta_at_most_every_interval():
    out, clock = io.StringIO(), FakeClock()
    bar = LinePrinter(total=100, desc="epoch 1", stream=out, every=2.0, clock=clock)
    clock.t = 1.0
    bar.update(10, loss=2.5)            # first update prints
    clock.t = 1.5
    bar.update(10, loss=2.0)            # 0.5 s later: silent
    clock.t = 4.0
    bar.update(30, loss=1.25, acc=0.5)
    clock.t = 5.0
    bar.update(10)                      # silent; close() prints the final state once
    bar.close()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[2].startswith("epoch 1:   60/100 ( 60%)")
    assert lines[0].startswith("epoch 1:   10/100 ( 10%)  loss 2.5000")
    # 50 steps in 4 s = 12.5 it/s, 50 left -> 4 s
    assert lines[1] == "epoch 1:   50/100 ( 50%)  loss 1.2500  acc 0.5000  12.5 it/s  ETA 0:00:04"


def test_quiet_prints_nothing_and_non_tty_falls_back_to_lines():
    out = io.StringIO()
    p = make_progress(10, "x", quiet=True, stream=out)
    assert isinstance(p, Silent)
    p.update(5, loss=1.0)
    p.write("hello")
    p.close()
    assert out.getvalue() == ""
    assert isinstance(make_progress(10, "x", stream=io.StringIO()), LinePrinter)


def test_tqdm_bar_is_used_when_forced_and_shows_the_postfix():
    out = io.StringIO()
    bar = make_progress(4, "train", stream=out, force_tqdm=True)
    assert isinstance(bar, TqdmBar)
    for _ in range(4):
        bar.update(1, loss=0.123456)
    bar.close()
    text = out.getvalue()
    assert "train" in text and "4/4" in text and "loss=0.1235" in text


def test_format_seconds():
    assert format_seconds(3725.4) == "1:02:05"
    assert format_seconds(-3) == "0:00:00"


def test_run_dir_is_unique_and_holds_the_config(tmp_path):
    now = dt.datetime(2025, 1, 2, 3, 4, 5)
    a = make_run_dir(tmp_path, "mnist", now)
    b = make_run_dir(tmp_path, "mnist", now)
    assert a.name == "mnist-20250102-030405" and b.name == "mnist-20250102-030405-2"
    save_config(a, {"lr": 0.1, "sizes": (1, 2)})
    assert json.loads((a / "config.json").read_text()) == {"lr": 0.1, "sizes": [1, 2]}


def test_metric_logger_writes_csv_jsonl_and_tensorboard(tmp_path):
    with MetricLogger(tmp_path, tensorboard=True) as log:
        log.log(10, {"loss": 2.0, "lr": 0.1}, split="train", epoch=0)
        log.log(20, {"loss": 1.5}, split="train", epoch=1)
        log.log(20, {"loss": 1.7, "acc": 0.25}, split="val", epoch=1)
    series = read_metrics(tmp_path)
    assert series[("train", "loss")][0].tolist() == [10, 20]
    assert series[("train", "loss")][1].tolist() == [2.0, 1.5]
    assert series[("val", "acc")][1].tolist() == [0.25]
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records[2] == {"step": 20, "epoch": 1, "split": "val", "loss": 1.7, "acc": 0.25}
    events = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 0
    assert read_tensorboard_scalars(events[0])["train/loss"] == [(10, 2.0), (20, 1.5)]


def read_tensorboard_scalars(path):
    """Parse a TFRecord event file with tensorboardX's compiled Event protobuf."""
    from tensorboardX.proto.event_pb2 import Event

    data, out, i = path.read_bytes(), {}, 0
    while i < len(data):
        n = struct.unpack("<Q", data[i:i + 8])[0]          # length, then its masked CRC
        event = Event.FromString(data[i + 12:i + 12 + n])
        i += 12 + n + 4                                      # payload, then its masked CRC
        for v in event.summary.value:
            out.setdefault(v.tag, []).append((event.step, v.simple_value))
    return out


def test_metric_logger_appends_on_resume_without_repeating_the_header(tmp_path):
    with MetricLogger(tmp_path, tensorboard=False) as log:
        log.log(1, {"loss": 1.0})
    with MetricLogger(tmp_path, tensorboard=False) as log:
        log.log(2, {"loss": 0.5})
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,split,metric,value" and len(lines) == 3


def test_truncate_after_drops_records_a_resumed_run_will_redo(tmp_path):
    log = MetricLogger(tmp_path, tensorboard=False)
    for step in range(1, 6):
        log.log(step, {"loss": 1.0 / step})
    log.truncate_after(3)
    log.log(4, {"loss": 0.3})
    log.close()
    steps, values = read_metrics(tmp_path)[("train", "loss")]
    assert steps.tolist() == [1, 2, 3, 4] and values[-1] == 0.3
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
