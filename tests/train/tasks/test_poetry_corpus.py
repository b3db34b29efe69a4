"""poetry corpora: the default 'quatrains' is the 五言绝句 bodies, one 24-character line each."""
from gradwise.train.tasks import poetry


def test_quatrains_corpus_is_one_quatrain_per_line(shared_data):
    text = poetry.load_corpus(poetry.Config(corpus="quatrains", data_root=str(shared_data)))
    poems = text.rstrip("\n").split("\n")
    assert len(poems) > 3000
    for poem in poems:                       # 5 characters + mark, four times
        assert len(poem) == 24
        assert all(poem[i] in "，。！？；" for i in (5, 11, 17, 23))
        assert not any(c in "，。！？；" for i in range(24) if i % 6 != 5 for c in poem[i])


def test_tangshi300_corpus_joins_poem_bodies(shared_data):
    text = poetry.load_corpus(poetry.Config(corpus="tangshi300", data_root=str(shared_data)))
    assert text.count("\n") > 300 and "，" in text
