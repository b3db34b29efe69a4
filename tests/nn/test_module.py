"""Module, Parameter and containers: registration, iteration, state_dict, modes, repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(np.ones(2, np.float32))
        self.register_buffer("running", gw.zeros(2))
        self.register_buffer("scratch", gw.zeros(5), persistent=False)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh()) * self.scale


def test_parameter_requires_grad_by_default_and_shares_memory():
    a = np.zeros(3, np.float32)
    p = nn.Parameter(a)
    assert p.requires_grad and p.is_leaf
    a[0] = 5
    assert p.array[0] == 5
    assert not nn.Parameter(a, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32


def test_attribute_assignment_registers_parameters_modules_buffers():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias",
                                                       "fc2.weight"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "fc2"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert list(net.children()) == [net.fc1, net.fc2]
    assert list(net.modules())[0] is net
    assert net.fc2.bias is None


def test_state_dict_keys_and_values_like_torch():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "running", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert all(type(v) is gw.Tensor and not v.requires_grad for v in sd.values())
    # shares memory with the module, as in PyTorch
    sd["fc1.bias"].array[0] = 123.0
    assert net.fc1.bias.array[0] == 123.0
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()][:2] == ["", "0"]


def test_load_state_dict_accepts_numpy_and_tensors_and_casts_dtype():
    net = Net()
    src = Net()
    sd = {k: v.array.astype(np.float64) for k, v in src.state_dict().items()}
    sd["fc1.bias"] = gw.tensor(sd["fc1.bias"])
    result = net.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), (_, b) in zip(net.state_dict().items(), src.state_dict().items()):
        assert a.dtype == np.float32, k
        np.testing.assert_array_equal(a.array, b.array)
    # copied into the existing arrays: a Parameter object keeps its identity
    w = net.fc1.weight
    net.load_state_dict(src.state_dict())
    assert net.fc1.weight is w


def test_load_state_dict_missing_and_unexpected_keys():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["fc3.weight"] = np.zeros((1, 1))
    with pytest.raises(ValueError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in msg
    result = net.load_state_dict(sd, strict=False)
    assert result == (["fc1.bias"], ["fc3.weight"])
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["fc3.weight"]


def test_load_state_dict_shape_mismatch_names_key_and_shapes_and_changes_nothing():
    net = Net()
    before = {k: v.array.copy() for k, v in net.state_dict().items()}
    sd = {k: np.full(v.shape, 7.0) for k, v in net.state_dict().items()}
    sd["fc1.weight"] = np.zeros((3, 4))
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"size mismatch for fc1\.weight: copying a param "
                           r"with shape \(3, 4\) from checkpoint, the shape in current model is "
                           r"\(4, 3\)"):
            net.load_state_dict(sd, strict=strict)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.array, before[k])


def test_non_persistent_buffer_not_in_state_dict_but_in_buffers():
    net = Net()
    assert "scratch" not in net.state_dict()
    assert any(b is net.scratch for b in net.buffers())


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net
    assert not net.training and not net.fc1.training
    net.train()
    assert net.fc2.training
    with pytest.raises(ValueError):
        net.train("yes")


def test_zero_grad_set_to_none_and_zeros():
    net = Net()
    x = gw.randn(5, 3)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.array.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_before_parent():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Net"]


def test_to_double_and_float_cast_parameters_and_buffers_in_place():
    net = Net()
    net.register_buffer("steps", gw.tensor(np.array(3, np.int64)))
    p = net.fc1.weight
    net.to(np.float64)
    assert net.fc1.weight is p and p.dtype == np.float64
    assert net.running.dtype == np.float64 and net.steps.dtype == np.int64
    assert net(gw.randn(2, 3, dtype=np.float64)).dtype == np.float64
    assert net.float().fc2.weight.dtype == np.float32
    assert net.double().scale.dtype == np.float64
    assert net.to("cpu") is net
    with pytest.raises(TypeError):
        net.to(np.int32)


def test_requires_grad_freezes_parameters():
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_setattr_type_errors_and_registration_errors():
    net = Net()
    with pytest.raises(TypeError, match="fc1"):
        net.fc1 = 3
    with pytest.raises(TypeError, match="scale"):
        net.scale = np.zeros(2)
    net.scale = None  # allowed: declares an absent parameter
    assert "scale" not in net.state_dict()
    with pytest.raises(KeyError):
        net.register_parameter("a.b", nn.Parameter(np.zeros(1)))
    with pytest.raises(TypeError):
        net.register_parameter("w", gw.zeros(2))
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("fc1", gw.zeros(1))
    with pytest.raises(AttributeError, match="nothing"):
        net.nothing
    del net.fc2
    assert "fc2.weight" not in net.state_dict()


def test_forward_not_implemented_message():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_forward_hooks_run_and_can_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    y = lin(gw.ones(1, 2))
    np.testing.assert_allclose(y.array, lin.bias.array[None])
    assert calls == [(1, 2)]
    h.remove()
    pre.remove()
    lin(gw.ones(1, 2))
    assert calls == [(1, 2)]


def test_repr_nested_matches_torch():
    g = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 2, bias=False)), nn.Flatten())
    t = torch.nn.Sequential(torch.nn.Linear(3, 4),
                            torch.nn.Sequential(torch.nn.Linear(4, 2, bias=False)),
                            torch.nn.Flatten())
    assert repr(g) == repr(t)
    assert repr(nn.Module()) == "Module()"


def test_sequential_indexing_slicing_append_insert_delete():
    a, b, c = nn.Linear(1, 2), nn.Linear(2, 3), nn.Linear(3, 4)
    s = nn.Sequential(a, b)
    assert s[0] is a and s[-1] is b and len(s) == 2
    assert isinstance(s[1:], nn.Sequential) and s[1:][0] is b
    s.append(c)
    assert list(s) == [a, b, c]
    assert s(gw.randn(5, 1)).shape == (5, 4)
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c]
    s[2] = nn.Identity()
    assert isinstance(s[2], nn.Identity)
    with pytest.raises(IndexError):
        s[3]
    named = nn.Sequential(OrderedDict(enc=a, dec=b))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]


def test_module_list_and_dict_register_children():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    assert list(ml.state_dict())[:2] == ["0.weight", "0.bias"]
    ml.append(nn.Linear(1, 1))
    ml += [nn.Linear(1, 1)]
    assert len(ml) == 5 and isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert list(md) == ["enc", "dec"] and "enc" in md
    assert list(md.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    md["act"] = nn.Identity()
    assert list(md.keys()) == ["enc", "dec", "act"]
    assert isinstance(md.pop("act"), nn.Identity) and len(md) == 2
    with pytest.raises(TypeError):
        md["x"] = 3


def test_deepcopy_and_pickle_keep_values_and_types():
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert isinstance(clone.fc1.weight, nn.Parameter) and clone.fc1.weight.requires_grad
        assert clone.fc1.weight is not net.fc1.weight
        for (k, a), (_, b) in zip(clone.state_dict().items(), net.state_dict().items()):
            np.testing.assert_array_equal(a.array, b.array)


def test_state_dict_round_trip_with_torch_sequential():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    g = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    t_sd = t.state_dict()
    assert list(g.state_dict()) == list(t_sd)
    result = g.load_state_dict({k: v.numpy() for k, v in t_sd.items()}, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    y_t = t(torch.tensor(x))
    y_g = g(gw.tensor(x))
    np.testing.assert_allclose(y_g.array, y_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    # torch tensors themselves are accepted too (anything np.asarray takes)
    g.load_state_dict(t_sd)
    np.testing.assert_array_equal(g[0].weight.array, t[0].weight.detach().numpy())
    # and back: gradwise weights load into torch unchanged
    t2 = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    t2.load_state_dict({k: torch.tensor(v.array) for k, v in g.state_dict().items()})
    for k, v in t2.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), g.state_dict()[k].array)
