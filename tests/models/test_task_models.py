"""The models of the training tasks, now in gradwise.models: registry builders, the state_dict
keys that old checkpoints carry, and the tasks' model_from_checkpoint on those checkpoints."""
from types import SimpleNamespace

import numpy as np
import pytest

import gradwise as gw
from gradwise import models
from gradwise.core import Tensor
from gradwise.train.tasks import _lm, adding, pos, sentiment

LSTM_L0 = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
REVERSE = [k + "_reverse" for k in LSTM_L0]

# (builder, task module, checkpoint model_name, model_config, state_dict keys)
CASES = {
    "bilstm_tagger": (pos, "bilstm-tagger",
                      dict(vocab_size=10, num_tags=5, embed_size=4, hidden_size=3,
                           char_vocab_size=6, char_embed_size=2, char_filters=3),
                      ["embedding.weight", "char_cnn.embedding.weight", "char_cnn.conv.weight",
                       "char_cnn.conv.bias", *("lstm." + k for k in LSTM_L0 + REVERSE),
                       "fc.weight", "fc.bias"]),
    "rnn_classifier": (sentiment, "rnn-classifier",
                       dict(vocab_size=10, embed_size=4, hidden_size=3, cell="gru",
                            bidirectional=True, dropout=0.0),
                       ["embedding.weight", *("rnn." + k for k in LSTM_L0 + REVERSE),
                        "fc.weight", "fc.bias"]),
    "rnn_lm": (_lm, "char-lstm",
               dict(vocab_size=10, embed_size=4, hidden_size=4, num_layers=2, cell="lstm",
                    dropout=0.0, tie_weights=True),
               ["embedding.weight", *("rnn." + k for k in LSTM_L0),
                *("rnn." + k.replace("l0", "l1") for k in LSTM_L0), "decoder.weight",
                "decoder.bias"]),
    "adding_rnn": (adding, "adding-irnn", dict(model="irnn", hidden_size=3),
                   ["rnn." + k for k in LSTM_L0] + ["head.weight", "head.bias"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_task_model_builders_keep_the_checkpoint_state_dict_keys(name):
    _, _, config, keys = CASES[name]
    model = models.create(name, **config)
    assert getattr(models, name) is models.get_model_builder(name)
    assert list(model.state_dict()) == keys


@pytest.mark.parametrize("name", sorted(CASES))
def test_task_model_from_checkpoint_loads_the_saved_weights(name):
    task, model_name, config, keys = CASES[name]
    gw.manual_seed(0)
    saved = models.create(name, **config)
    ckpt = SimpleNamespace(model_name=model_name, model_config=dict(config))
    gw.manual_seed(1)
    rebuilt = task.model_from_checkpoint(ckpt)
    assert type(rebuilt) is type(saved)
    rebuilt.load_state_dict(saved.state_dict(), strict=True)
    for (k, a), b in zip(saved.state_dict().items(), rebuilt.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=k)
    copy = models.create(name, weights=saved.state_dict(), **config)
    np.testing.assert_array_equal(np.asarray(copy.state_dict()[keys[-1]]),
                                  np.asarray(saved.state_dict()[keys[-1]]))


def test_rnn_classifier_ignores_the_padding_after_each_sentence(rng):
    gw.manual_seed(0)
    model = models.RNNClassifier(12, embed_size=5, hidden_size=4, bidirectional=True,
                                 dropout=0.0).eval()
    tokens = rng.integers(2, 12, (2, 6))
    tokens[1, 3:] = 0                                                    # lengths 6, 3
    padded = np.concatenate([tokens, np.zeros((2, 4), np.int64)], axis=1)  # 4 more pad steps
    lengths = np.array([6, 3])
    a = model(Tensor(tokens), lengths).array                            # (2, 2)
    b = model(Tensor(padded), lengths).array
    short = model(Tensor(tokens[1:, :3]), lengths[1:]).array
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a[1:], short, rtol=1e-5, atol=1e-6)


def test_rnn_lm_refuses_untieable_sizes_and_unknown_cells():
    with pytest.raises(ValueError, match="tie_weights needs embed_size == hidden_size"):
        models.rnn_lm(vocab_size=5, embed_size=3, hidden_size=4, tie_weights=True)
    with pytest.raises(ValueError, match="cell must be one of"):
        models.RNNLanguageModel(5, cell="mut1")
    tied = models.rnn_lm(vocab_size=5, embed_size=4, hidden_size=4, tie_weights=True)
    assert tied.decoder.weight is tied.embedding.weight


def test_adding_model_maps_a_sequence_to_one_value_and_checks_its_layer():
    gw.manual_seed(0)
    model = models.AddingModel("gru", hidden_size=4)
    x = np.random.default_rng(0).random((7, 3, 2)).astype(np.float32)    # (T, N, 2)
    assert model(Tensor(x)).shape == (3, 1)
    with pytest.raises(ValueError, match=r"AddingModel: model must be one of \('rnn', 'lstm'"):
        models.AddingModel("mut1")
