"""poetry corpora (the default "quatrains" is the 五言绝句 bodies, one 24-character line each)
and the form-constrained sampler with its warm-up poem."""
import numpy as np

from gradwise.train.tasks import poetry


def test_quatrains_corpus_is_one_quatrain_per_line(shared_data):
    text = poetry.load_corpus(poetry.Config(corpus="quatrains", data_root=str(shared_data)))
    poems = text.rstrip("\n").split("\n")
    assert len(poems) > 3000
    for poem in poems:                       # 5 characters + mark, four times
        assert len(poem) == 24
        assert all(poem[i] in "，。！？；" for i in (5, 11, 17, 23))
        assert not any(c in "，。！？；" for i in range(24) if i % 6 != 5 for c in poem[i])


def test_pentasyllabic_corpus_holds_every_five_character_poem(shared_data):
    config = poetry.Config(corpus="pentasyllabic", data_root=str(shared_data), max_chars=10 ** 7)
    poems = poetry.load_corpus(config).rstrip("\n").split("\n")
    assert len(poems) > 20000 and {len(p) for p in poems} >= {24, 48}   # quatrains and 律诗
    assert all(len(p) % 6 == 0 and p[5::6] and set(p[5::6]) <= set(poetry.PUNCTUATION)
               for p in poems)


def test_unknown_corpus_is_named():
    import pytest

    with pytest.raises(ValueError, match="'odes'.*pentasyllabic"):
        poetry.load_corpus(poetry.Config(corpus="odes"))


def test_tangshi300_corpus_joins_poem_bodies(shared_data):
    text = poetry.load_corpus(poetry.Config(corpus="tangshi300", data_root=str(shared_data)))
    assert text.count("\n") > 300 and "，" in text


def test_quatrain_mask_allows_what_the_form_allows():
    from gradwise.data import Vocab

    vocab = Vocab(["<unk>", "\n", "，", "。", "春", "風", "a"])
    mask = poetry.quatrain_mask(vocab)
    allowed = lambda pos: {t for t, m in zip(vocab.itos, mask[pos]) if m == 0}  # noqa: E731
    assert allowed(0) == allowed(4) == allowed(6) == {"春", "風"}
    assert allowed(5) == allowed(11) == allowed(17) == {"，", "。"}
    assert allowed(23) == {"。"}  # the poem ends a sentence
    assert allowed(24) == {"\n"}


def test_sampling_from_an_untrained_quatrain_model_keeps_the_form(tmp_path, capsys, shared_data):
    from gradwise.cli import main

    run_dir = tmp_path / "poetry"
    assert main(["train", "poetry", "--limit", "3000", "--hidden-size", "8", "--embed-size", "4",
                 "--max-steps", "1", "--sample-length", "4", "--run-dir", str(run_dir),
                 "--quiet"]) == 0
    text = poetry.sample(run_dir, "春", 23 + 25, temperature=1.5, seed=0)
    poems = text.split("\n")                       # prompt + 48 = poem, newline, poem
    assert len(poems) == 2
    for poem in poems:
        lines = [poem[i:i + 5] for i in range(0, 24, 6)]
        assert len(poem) == 24 and all(len(line) == 5 for line in lines)
        assert all(poem[i] in poetry.PUNCTUATION for i in (5, 11, 17)) and poem[23] in poetry.ENDING
        assert not any(c in poetry.PUNCTUATION + "\n" for line in lines for c in line)


def test_the_model_writes_a_warm_up_poem_then_reads_a_separator_and_the_prompt(tmp_path, monkeypatch, shared_data):
    from gradwise.cli import main

    run_dir = tmp_path / "poetry"
    assert main(["train", "poetry", "--limit", "3000", "--hidden-size", "8", "--embed-size", "4",
                 "--max-steps", "1", "--sample-length", "4", "--run-dir", str(run_dir),
                 "--quiet"]) == 0
    fed = []
    plain_step = poetry.model_step

    def recording_step(model):
        step = plain_step(model)

        def wrapped(x, state):
            fed.append(x[0].tolist())
            return step(x, state)
        return wrapped

    monkeypatch.setattr(poetry, "model_step", recording_step)
    text = poetry.sample(run_dir, "春山", 22, temperature=1.0, seed=0)
    vocab = poetry.build_from_checkpoint(poetry.load_checkpoint(run_dir))[1]
    prompt_calls = [ids for ids in fed if len(ids) > 1]
    assert vocab.decode(fed[0]) == ["\n"]                     # the warm-up poem starts a poem
    assert len(fed) - 1 - 22 <= poetry.WARM_UP_CHARS          # warm-up, prompt, 22 draws
    assert [vocab.decode(ids) for ids in prompt_calls] == [["\n", "春", "山"]]  # then the prompt
    assert len(text) == 24 and text[5] in poetry.PUNCTUATION   # positions count from 春
    assert text[23] in poetry.ENDING


def test_warm_state_stops_at_the_models_newline():
    newline, other = 0, 1
    calls = []

    def step(ids, state):                    # writes two characters, then a newline
        calls.append(ids[0].tolist())
        n = len(calls)
        logits = np.full((1, ids.shape[1], 2), -50.0)
        logits[0, -1, newline if n == 3 else other] = 50.0
        return logits, n

    state = poetry.warm_state(step, newline, 1.0, np.random.default_rng(0))
    assert calls == [[newline], [other], [other]] and state == 3   # the newline is not read
