"""PyTorch's import paths and namespace names resolve in gradwise (the import swap)."""
import importlib

import numpy as np
import pytest
import torch

import gradwise as gw


@pytest.mark.parametrize("path, names", [
    ("utils.data", "DataLoader Dataset TensorDataset random_split Subset SubsetRandomSampler "
                   "WeightedRandomSampler RandomSampler SequentialSampler BatchSampler ConcatDataset"),
    ("utils.data.dataloader", "DataLoader default_collate"),
    ("utils.data.dataset", "Dataset TensorDataset Subset"),
    ("utils.data.sampler", "Sampler RandomSampler SequentialSampler BatchSampler"),
    ("nn.modules.rnn", "LSTM GRU RNN LSTMCell GRUCell RNNCell RNNBase"),
    ("nn.modules.dropout", "Dropout Dropout2d"), ("nn.modules.sparse", "Embedding"),
    ("nn.modules.conv", "Conv1d Conv2d ConvTranspose2d"), ("nn.modules.linear", "Linear Identity"),
    ("nn.modules.batchnorm", "BatchNorm1d BatchNorm2d"), ("nn.modules.module", "Module"),
    ("nn.modules.loss", "CrossEntropyLoss MSELoss"), ("nn.modules.pooling", "MaxPool2d"),
    ("nn.modules.container", "Sequential ModuleList"), ("nn.modules.activation", "ReLU Tanh"),
    ("backends.cudnn", "benchmark deterministic"), ("cuda", "is_available manual_seed"),
    ("accelerator", "is_available current_accelerator"),
])
def test_torch_module_paths_import_and_name_the_same_objects(path, names):
    ours = importlib.import_module(f"gradwise.{path}")
    theirs = importlib.import_module(f"torch.{path}")
    for name in names.split():
        assert hasattr(theirs, name), f"torch.{path}.{name} is not a PyTorch name"
        assert hasattr(ours, name), f"gradwise.{path}.{name} missing"


def test_alias_paths_are_the_same_classes_for_isinstance():
    import gradwise.nn.modules.rnn
    import gradwise.utils.data

    assert gw.nn.modules.rnn.LSTM is gw.nn.LSTM
    assert isinstance(gw.nn.Embedding(3, 2), gw.nn.modules.sparse.Embedding)
    assert gradwise.utils.data.DataLoader is gw.data.DataLoader is gw.utils.data.DataLoader


def test_dtype_aliases_match_torch():
    for name in ("float", "double", "half", "long", "int", "bool", "float32", "float64",
                 "int64", "int32", "int16", "int8", "uint8", "float16", "short"):
        ours, theirs = getattr(gw, name), getattr(torch, name)
        assert str(ours) == str(theirs).removeprefix("torch.").replace("bool", "bool"), name
    assert isinstance(gw.zeros(1).dtype, gw.dtype)


def test_torch_namespace_functions_match_torch(rng):
    x = rng.standard_normal((3, 4))
    g, t = gw.tensor(x), torch.tensor(x)
    for name, args in (("mm", (x.T,)), ("log1p", ()), ("cumsum", (1,)), ("flip", ((0,),)),
                       ("tril", ()), ("clamp_min", (0.0,)), ("norm", ()), ("prod", ())):
        ga = [gw.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        ta = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        np.testing.assert_allclose(getattr(gw, name)(np.abs(g) if name == "log1p" else g, *ga).array,
                                   getattr(torch, name)(t.abs() if name == "log1p" else t, *ta).numpy(),
                                   rtol=1e-12, err_msg=name)
    assert gw.numel(g) == torch.numel(t) and gw.is_tensor(g) and not gw.is_tensor(x)
    assert gw.randint(10, (3,)).shape == (3,) and gw.randint(2, 5, (4,)).array.min() >= 2


def test_generator_manual_seed_is_reproducible_and_returns_itself():
    g = gw.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = g.random(3)
    assert np.array_equal(gw.Generator().manual_seed(5).random(3), a)


def test_multinomial_normal_bernoulli_draw_from_the_right_distributions():
    gw.manual_seed(0)
    draws = gw.multinomial(gw.tensor([[0.0, 1.0, 3.0]]), 4000, replacement=True)
    counts = np.bincount(draws.array.ravel(), minlength=3)
    assert draws.shape == (1, 4000) and counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    assert sorted(gw.multinomial(gw.ones(5), 5).tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="without replacement from 2 categories"):
        gw.multinomial(gw.ones(2), 3)
    n = gw.normal(2.0, 0.5, (5000,))
    assert abs(n.array.mean() - 2.0) < 0.05 and abs(n.array.std() - 0.5) < 0.05
    b = gw.bernoulli(gw.full((5000,), 0.2))
    assert abs(b.array.mean() - 0.2) < 0.03
    assert gw.full_like(gw.zeros(2, dtype=gw.float64), 3).dtype == np.float64
    assert gw.as_tensor(np.zeros(2)).dtype == np.float64


def test_legacy_typed_constructors_match_torch():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                 "BoolTensor"):
        ours, theirs = getattr(gw, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
        np.testing.assert_array_equal(ours.array, theirs.numpy())
        assert getattr(gw, name)(2, 3).shape == tuple(getattr(torch, name)(2, 3).shape)
    with pytest.raises(TypeError, match="FloatTensor: expected sizes"):
        gw.FloatTensor(2, "x")


def test_no_grad_decorates_with_and_without_parentheses_like_torch():
    @gw.no_grad
    def bare(x):
        return x * 2

    @gw.no_grad()
    def called(x):
        return x * 2

    x = gw.ones(2, requires_grad=True)
    assert not bare(x).requires_grad and not called(x).requires_grad and bare.__name__ == "bare"
    assert (x * 2).requires_grad


def test_torch_functions_of_the_method_aliases_match_torch(rng):
    x = rng.standard_normal((3, 4))
    g, t = gw.tensor(x), torch.tensor(x)
    for name, args in (("tile", ((2, 1),)), ("movedim", (0, 1)), ("swapaxes", (0, 1)),
                       ("multiply", (2.0,)), ("select", (0, 1)), ("ravel", ()), ("fliplr", ())):
        np.testing.assert_allclose(getattr(gw, name)(g, *args).array,
                                   getattr(torch, name)(t, *args).numpy(), err_msg=name)
    np.testing.assert_allclose(gw.outer(g[0], g[1]).array, torch.outer(t[0], t[1]).numpy())
    np.testing.assert_allclose(gw.dot(g[0], g[1]).array, torch.dot(t[0], t[1]).numpy())
    assert gw.allclose(g, g) and gw.equal(g, g)
