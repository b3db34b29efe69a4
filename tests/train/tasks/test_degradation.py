"""degradation task: plain vs residual CIFAR nets, the augmentation, the schedule, the CLI."""
import json

import numpy as np
import pytest

import gradwise as gw
from gradwise import models, optim
from gradwise.train.tasks import degradation


def test_plain_blocks_have_no_shortcut_and_the_same_layers_as_residual():
    plain, res = models.plain20(in_channels=1), models.resnet20(in_channels=1)
    assert [n for n, _ in plain.named_parameters()] == [n for n, _ in res.named_parameters()]
    blocks = [m for m in plain.modules() if isinstance(m, models.resnet.CifarBasicBlock)]
    assert len(blocks) == 9 and not any(b.residual for b in blocks)
    assert sum(p.numel() for p in models.plain56(in_channels=1).parameters()) == 852_730


def test_plain_block_is_relu_bn_conv_without_the_addition():
    gw.manual_seed(0)
    block = models.resnet.CifarBasicBlock(4, 4, shortcut="none").eval()
    x = gw.randn(2, 4, 6, 6)
    branch = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
    np.testing.assert_allclose(block(x).array, np.maximum(branch.array, 0), rtol=1e-6)
    residual = models.resnet.CifarBasicBlock(4, 4, shortcut="A").eval()
    residual.load_state_dict(block.state_dict())
    np.testing.assert_allclose(residual(x).array, np.maximum(branch.array + x.array, 0),
                               rtol=1e-6)


def test_unknown_shortcut_and_depth_are_refused():
    with pytest.raises(ValueError, match="shortcut must be 'A', 'B' or 'none', got 'C'"):
        models.CifarResNet(depth=20, shortcut="C")
    with pytest.raises(ValueError, match="--depth must be 6n \\+ 2"):
        degradation.Config(depth=21).validate()
    with pytest.raises(ValueError, match="--dataset 'cifar' is unknown"):
        degradation.Config(dataset="cifar").validate()


def test_images_are_padded_to_32_with_the_background():
    x = np.zeros((3, 28, 28), np.uint8)
    x[:, 10, 10] = 255
    out = degradation._images(x, "fashion")
    mean, std = degradation.MEAN_STD["fashion"]
    assert out.shape == (3, 1, 32, 32) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0, 0], -mean / std, rtol=1e-6)
    np.testing.assert_allclose(out[:, 0, 12, 12], (1 - mean) / std, rtol=1e-6)


def test_augment_translates_and_flips_without_changing_the_content():
    rng = np.random.default_rng(0)
    x = np.zeros((64, 1, 32, 32), np.float32)
    x[:, 0, 14:18, 8:12] = 1.0                    # a blob left of the centre
    out = degradation.augment(x.copy(), rng)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out.sum((1, 2, 3)), x.sum((1, 2, 3)))   # blob stays inside
    cols = np.nonzero(out[:, 0].max(1))[1].reshape(64, 4).mean(1)
    assert (cols > 16).any() and (cols < 16).any()  # some flipped, some not


def test_paper_schedule_divides_by_ten_at_half_and_three_quarters():
    p = gw.nn.Parameter(gw.zeros(1))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sched = degradation.paper_schedule(opt, 8)
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(lrs, [0.1] * 4 + [0.01] * 2 + [0.001] * 2, rtol=1e-12)


def test_cli_logs_the_training_error_curve_and_tests(tmp_path, capsys):
    pytest.importorskip("safetensors")
    from gradwise.cli import main

    run = tmp_path / "run"
    assert main(["train", "degradation", "--depth", "8", "--plain", "--limit", "64",
                 "--batch-size", "16", "--max-steps", "4", "--log-every", "2",
                 "--run-dir", str(run), "--quiet"]) == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    errors = [r for r in records if r["split"] == "train" and "error" in r]
    assert [r["step"] for r in errors] == [2, 4]
    assert all(0 <= r["error"] <= 1 for r in errors)
    assert main(["eval", str(run)]) == 0
    out = capsys.readouterr().out
    assert "test_error" in out and "train_error" in out


def test_augment_leaves_its_input_untouched():
    x = np.arange(2 * 32 * 32, dtype=np.float32).reshape(2, 1, 32, 32)
    before = x.copy()
    degradation.augment(x, np.random.default_rng(1))
    np.testing.assert_array_equal(x, before)
