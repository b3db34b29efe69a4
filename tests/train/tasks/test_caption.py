"""caption task: the scene generator, the captioner model, the attention penalty, decoding."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.core.gradcheck import gradcheck
from gradwise.data.datasets.mnist import load_mnist
from gradwise.data.datasets.scenes import (
    CANVAS, DIGIT_WORDS, SIZES, compose_scenes, load_caption_scenes,
)
from gradwise.models.captioner import Captioner, doubly_stochastic_penalty
from gradwise.train.tasks import caption


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test")
    return images[:500], labels[:500]


def test_scenes_are_deterministic_given_the_seed(digits):
    a = compose_scenes(*digits, 40, np.random.default_rng(3))
    b = compose_scenes(*digits, 40, np.random.default_rng(3))
    c = compose_scenes(*digits, 40, np.random.default_rng(4))
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions and a.captions != c.captions


def test_captions_describe_their_scenes(digits):
    images, labels = digits
    s = compose_scenes(images, labels, 200, np.random.default_rng(0))
    for n, words in enumerate(s.captions):
        objects = [j for j in range(3) if s.boxes[n, j, 0] >= 0]
        assert len(objects) == len(s.object_words[n]) == words.count("a")
        centres = []
        for j, w in zip(objects, s.object_words[n]):
            top, left, bottom, right = s.boxes[n, j]
            assert 0 <= top < bottom <= CANVAS and 0 <= left < right <= CANVAS
            assert words[w] in DIGIT_WORDS and SIZES[words[w - 1]] == bottom - top
            assert s.images[n, 0, top:bottom, left:right].max() > 0.5   # the digit is drawn
            centres.append(((top + bottom) / 2, (left + right) / 2))
        for k in range(len(centres) - 1):  # each relation holds on the dominant axis
            rel = words[s.object_words[n][k] + 1]
            dy, dx = np.subtract(centres[k + 1], centres[k])
            expected = {"above": dy > 0, "below": dy < 0, "left": dx > 0, "right": dx < 0}[rel]
            assert expected and abs(dy if rel in ("above", "below") else dx) > abs(
                dx if rel in ("above", "below") else dy)


def test_splits_draw_from_disjoint_source_images():
    images, _ = load_mnist("train")
    pools = {"train": images[:len(images) // 2], "val": images[len(images) // 2:]}
    checked = 0
    for split, other in (("train", "val"), ("val", "train")):
        scenes = load_caption_scenes(split, n=6)
        for n in range(len(scenes)):
            for top, left, bottom, right in scenes.boxes[n]:
                if bottom - top != 28:  # full-size digits are copied pixel for pixel
                    continue
                patch = (scenes.images[n, 0, top:bottom, left:right] * 255).round()
                found = {k: bool((np.abs(p - patch).max(axis=(1, 2)) < 1).any())
                         for k, p in pools.items()}
                assert found[split] and not found[other]
                checked += 1
    assert checked >= 2
    with pytest.raises(ValueError, match="split should be"):
        load_caption_scenes("dev")


def test_penalty_is_the_doubly_stochastic_sum_and_gradchecks():
    rng = np.random.default_rng(0)
    a = rng.random((2, 3, 4))
    mask = np.array([[1, 1, 0], [1, 1, 1]], float)
    expected = ((1 - (a * mask[:, :, None]).sum(1)) ** 2).sum(1).mean()
    assert np.isclose(doubly_stochastic_penalty(gw.tensor(a), mask).item(), expected)
    assert gradcheck(lambda t: doubly_stochastic_penalty(t, mask), (gw.tensor(a, requires_grad=True),))


def _tiny_model(attention=True, context_gate=False):
    gw.manual_seed(0)
    return Captioner(vocab_size=len(caption.caption_vocab().itos), hidden_size=16,
                     embedding_dim=8, attention_size=8, channels=(4, 4, 8),
                     attention=attention, context_gate=context_gate).double()


@pytest.mark.parametrize("attention", [True, False])
def test_forward_shapes_and_gradients_reach_the_encoder(attention):
    model = _tiny_model(attention)
    x = gw.tensor(np.random.default_rng(0).random((3, 1, 64, 64)))
    ids = caption.encode_captions([["a", "small", "two"], ["a", "large", "one"],
                                   ["a", "small", "six", "left", "of", "a", "large", "one"]],
                                  caption.caption_vocab())
    logits, alphas = model(x, ids)
    assert logits.shape == (3, ids.shape[1] - 1, model.config.vocab_size)
    if attention:
        assert alphas.shape == (3, ids.shape[1] - 1, 64)
        np.testing.assert_allclose(alphas.array.sum(-1), 1.0)
    else:
        assert alphas is None
    step = caption.CaptionStep(0.1, 0)
    out = step(model, (x, gw.tensor(ids)), True)
    out.loss.backward()
    assert np.abs(model.encoder[0].weight.grad.array).sum() > 0
    assert out.n == int((ids[:, 1:] != 0).sum())


def test_context_gate_scales_the_context_by_a_sigmoid_of_the_state():
    model = _tiny_model(context_gate=True)
    rng = np.random.default_rng(3)
    features = gw.tensor(rng.standard_normal((2, 64, 8)))
    h = gw.tensor(rng.standard_normal((2, 16)), requires_grad=True)
    gated, alpha = model.attend(features, model._keys(features), h)
    beta = 1 / (1 + np.exp(-(h.array @ model.att_gate.weight.array.T
                             + model.att_gate.bias.array)))
    expected = (alpha.array[:, :, None] * features.array).sum(1) * beta
    np.testing.assert_allclose(gated.array, expected, rtol=1e-12)
    assert gradcheck(lambda hh: model.attend(features, model._keys(features), hh)[0], (h,))


def test_beam_of_one_returns_the_greedy_caption():
    model = _tiny_model()
    x = gw.tensor(np.random.default_rng(1).random((4, 1, 64, 64)))
    tokens, alphas = model.greedy(x, max_len=6)
    for i in range(4):
        beam_tokens, beam_alphas, _ = model.beam_search(x[i], beam_size=1, max_len=6)
        assert beam_tokens == tokens[i]
        np.testing.assert_allclose(beam_alphas, alphas[i])


def test_wider_beam_scores_at_least_the_greedy_caption():
    model = _tiny_model()
    x = gw.tensor(np.random.default_rng(2).random((1, 1, 64, 64)))
    _, _, greedy_score = model.beam_search(x[0], beam_size=1, max_len=5)
    _, _, beam_score = model.beam_search(x[0], beam_size=4, max_len=5)
    assert beam_score >= greedy_score - 1e-12


def test_bad_inputs_are_refused():
    model = _tiny_model()
    with pytest.raises(ValueError, match="captions should be"):
        model(gw.tensor(np.zeros((1, 1, 64, 64))), np.array([2]))
    with pytest.raises(ValueError, match="2 images but 1 captions"):
        model(gw.tensor(np.zeros((2, 1, 64, 64))), np.array([[2, 3]]))
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(gw.tensor(np.zeros((1, 64, 64))), beam_size=0)
    with pytest.raises(ValueError, match="eos_idx=30 is outside"):
        Captioner(vocab_size=22, eos_idx=30)
    with pytest.raises(ValueError, match="context_gate=True .* needs attention=True"):
        Captioner(vocab_size=24, attention=False, context_gate=True)
    with pytest.raises(ValueError, match="--context-gate .* --no-attention"):
        caption.Config(attention=False, context_gate=True).validate()
    with pytest.raises(ValueError, match="--penalty must be >= 0"):
        caption.Config(penalty=-1.0).validate()


def test_cli_trains_evaluates_and_captions_a_png(tmp_path, capsys):
    pytest.importorskip("safetensors")
    plt = pytest.importorskip("matplotlib.pyplot")
    from gradwise.cli import main

    run = tmp_path / "run"
    assert main(["train", "caption", "--limit", "32", "--hidden-size", "8", "--embedding-dim",
                 "4", "--max-steps", "2", "--run-dir", str(run), "--quiet"]) == 0
    assert main(["eval", str(run)]) == 0
    assert "test_attention_on_object" in capsys.readouterr().out
    scene = load_caption_scenes("test", n=1)
    png = tmp_path / "scene.png"
    plt.imsave(png, scene.images[0, 0], cmap="gray")
    assert main(["caption", str(run), str(png), "--out", str(tmp_path / "panels.png")]) == 0
    assert "attention panels" in capsys.readouterr().out and (tmp_path / "panels.png").exists()
    assert main(["caption", str(run), str(tmp_path / "missing.png")]) == 2
    assert "image not found" in capsys.readouterr().err
