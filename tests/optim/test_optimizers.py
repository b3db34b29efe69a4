"""Optimizers: 20-step trajectories equal to PyTorch's, param groups, state_dict, errors.

The model is a 2-layer tanh MLP written once with gradwise ops and once with torch ops, from
the same float64 weights, trained on the same 20 mini-batches; parameters are compared after
every step.
"""
import copy
import pickle

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import optim

STEPS = 20
SHAPES = {"w1": (5, 3), "b1": (5,), "w2": (2, 5), "b2": (2,), "unused": (4,)}

# (name, kwargs) pairs; every option of every optimizer appears in at least one config.
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), maximize=True)),  # lerp weight 0.7 >= 0.5
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.3, eps=1e-6, momentum=0.5, centered=True)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.05, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-8, weight_decay=0.01)),
    ("Adadelta", dict(maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
       for name, kw in CONFIGS]


def initial_weights(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return {k: (0.5 * rng.standard_normal(s)).astype(dtype) for k, s in SHAPES.items()}


def batches(dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 3)).astype(dtype), rng.standard_normal((8, 2)).astype(dtype))
            for _ in range(STEPS)]


def gw_loss(p, x, y):
    h = gw.tanh(gw.tensor(x) @ p["w1"].T + p["b1"])  # (8, 5)
    out = h @ p["w2"].T + p["b2"]  # (8, 2)
    return ((out - gw.tensor(y)) ** 2).mean()


def torch_loss(p, x, y):
    h = torch.tanh(torch.tensor(x) @ p["w1"].T + p["b1"])
    out = h @ p["w2"].T + p["b2"]
    return ((out - torch.tensor(y)) ** 2).mean()


def gw_params(weights):
    return {k: gw.tensor(v.copy(), requires_grad=True) for k, v in weights.items()}


def torch_params(weights):
    return {k: torch.tensor(v.copy(), requires_grad=True) for k, v in weights.items()}


def run_gw(opt, params, data):
    """Train; return a snapshot of every parameter after each step."""
    snapshots = []
    for x, y in data:
        opt.zero_grad()
        gw_loss(params, x, y).backward()
        opt.step()
        snapshots.append({k: p.array.copy() for k, p in params.items()})
    return snapshots


def run_torch(opt, params, data):
    snapshots = []
    for x, y in data:
        opt.zero_grad()
        torch_loss(params, x, y).backward()
        opt.step()
        snapshots.append({k: p.detach().numpy().copy() for k, p in params.items()})
    return snapshots


def assert_trajectories_equal(gw_traj, torch_traj, rtol=1e-10, atol=1e-13):
    assert len(gw_traj) == len(torch_traj)
    for step, (a, b) in enumerate(zip(gw_traj, torch_traj)):
        for k in a:
            assert a[k].dtype == b[k].dtype, f"step {step}, {k}: {a[k].dtype} vs {b[k].dtype}"
            np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol,
                                       err_msg=f"parameter {k} after step {step + 1}")


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_trajectory_matches_torch_float64(name, kwargs):
    weights, data = initial_weights(), batches()
    gp, tp = gw_params(weights), torch_params(weights)
    g_opt = getattr(optim, name)(list(gp.values()), **kwargs)
    t_opt = getattr(torch.optim, name)(list(tp.values()), **kwargs)
    g_traj, t_traj = run_gw(g_opt, gp, data), run_torch(t_opt, tp, data)
    assert_trajectories_equal(g_traj, t_traj)
    # the parameter that never gets a gradient is skipped: unchanged and without state
    np.testing.assert_array_equal(gp["unused"].array, weights["unused"])
    assert gp["unused"].grad is None


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_state_dict_has_torch_structure_and_values(name, kwargs):
    weights, data = initial_weights(), batches()[:5]
    gp, tp = gw_params(weights), torch_params(weights)
    g_opt = getattr(optim, name)(list(gp.values()), **kwargs)
    t_opt = getattr(torch.optim, name)(list(tp.values()), **kwargs)
    run_gw(g_opt, gp, data)
    run_torch(t_opt, tp, data)
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert sorted(g_sd) == ["param_groups", "state"]
    assert sorted(g_sd["state"]) == sorted(t_sd["state"])
    for i, t_state in t_sd["state"].items():
        assert sorted(g_sd["state"][i]) == sorted(t_state), f"state keys of parameter {i}"
        for key, t_value in t_state.items():
            g_value = g_sd["state"][i][key]
            if key == "step":
                assert g_value == int(t_value.item())
            else:
                assert isinstance(g_value, gw.Tensor)
                np.testing.assert_allclose(g_value.array, t_value.numpy(), rtol=1e-10, atol=1e-13)
    for g_group, t_group in zip(g_sd["param_groups"], t_sd["param_groups"]):
        assert g_group["params"] == t_group["params"]
        for key, value in g_group.items():
            assert t_group[key] == value, f"param_groups entry {key!r}"


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_resumes_bitwise(name, kwargs):
    weights, data = initial_weights(), batches()
    gp = gw_params(weights)
    reference = run_gw(getattr(optim, name)(list(gp.values()), **kwargs), gp, data)

    gp = gw_params(weights)
    opt = getattr(optim, name)(list(gp.values()), **kwargs)
    run_gw(opt, gp, data[:10])
    saved = pickle.dumps((opt.state_dict(), {k: p.array for k, p in gp.items()}))
    run_gw(opt, gp, data[10:12])  # training on must not change the saved copy

    opt_state, param_values = pickle.loads(saved)
    fresh = gw_params(param_values)
    fresh_opt = getattr(optim, name)(list(fresh.values()), lr=123.0)  # lr comes from the dict
    fresh_opt.load_state_dict(opt_state)
    resumed = run_gw(fresh_opt, fresh, data[10:])
    for step, (a, b) in enumerate(zip(resumed, reference[10:])):
        for k in a:
            assert np.array_equal(a[k], b[k]), f"{k} differs after resumed step {step + 1}"


@pytest.mark.parametrize("name,kwargs", [CONFIGS[2], CONFIGS[6], CONFIGS[15], CONFIGS[18],
                                         CONFIGS[21]], ids=[IDS[2], IDS[6], IDS[15], IDS[18],
                                                            IDS[21]])
def test_loads_a_torch_optimizer_state_dict_and_continues_like_torch(name, kwargs):
    weights, data = initial_weights(), batches()
    tp = torch_params(weights)
    t_opt = getattr(torch.optim, name)(list(tp.values()), **kwargs)
    run_torch(t_opt, tp, data[:10])
    gp = gw_params({k: p.detach().numpy() for k, p in tp.items()})
    g_opt = getattr(optim, name)(list(gp.values()))
    g_opt.load_state_dict(copy.deepcopy(t_opt.state_dict()))
    assert_trajectories_equal(run_gw(g_opt, gp, data[10:]), run_torch(t_opt, tp, data[10:]))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_trajectory_matches_torch_float32_and_keeps_dtype(name):
    weights, data = initial_weights(np.float32), batches(np.float32)
    gp, tp = gw_params(weights), torch_params(weights)
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9), "Adadelta": {}}.get(name, dict(lr=0.01))
    g_traj = run_gw(getattr(optim, name)(list(gp.values()), **kwargs), gp, data)
    t_traj = run_torch(getattr(torch.optim, name)(list(tp.values()), **kwargs), tp, data)
    # float32: gradients differ from torch's in the last bits; 20 steps keep that below 1e-5
    assert_trajectories_equal(g_traj, t_traj, rtol=1e-5, atol=1e-6)
    assert all(p.dtype == np.float32 for p in gp.values())
    assert all(v.dtype == np.float32 for s in getattr(optim, name)(list(gp.values()), **kwargs)
               .state.values() for v in s.values() if isinstance(v, gw.Tensor))


@pytest.mark.parametrize("name,group_kwargs", [
    ("SGD", [dict(lr=0.1), dict(lr=0.01, momentum=0.5, nesterov=True)]),
    ("Adam", [dict(lr=0.05, betas=(0.5, 0.9)), dict(lr=0.001, amsgrad=True)]),
    ("RMSprop", [dict(lr=0.02, centered=True), dict(momentum=0.3)]),
])
def test_param_groups_with_different_hyperparameters_match_torch(name, group_kwargs):
    weights, data = initial_weights(), batches()
    gp, tp = gw_params(weights), torch_params(weights)
    defaults = dict(lr=0.03, momentum=0.9) if name == "SGD" else dict(lr=0.01)

    def groups(p):
        return [dict(params=[p["w1"], p["b1"]], **group_kwargs[0]),
                dict(params=[p["w2"], p["b2"]], **group_kwargs[1])]

    g_opt = getattr(optim, name)(groups(gp), **defaults)
    t_opt = getattr(torch.optim, name)(groups(tp), **defaults)
    assert [g["lr"] for g in g_opt.param_groups] == [g["lr"] for g in t_opt.param_groups]
    assert_trajectories_equal(run_gw(g_opt, gp, data), run_torch(t_opt, tp, data))
    assert g_opt.state_dict()["param_groups"][1]["params"] == [2, 3]


def test_add_param_group_mid_training_matches_torch():
    weights, data = initial_weights(), batches()
    gp, tp = gw_params(weights), torch_params(weights)
    g_opt = optim.Adam([gp["w1"], gp["b1"]], lr=0.01)
    t_opt = torch.optim.Adam([tp["w1"], tp["b1"]], lr=0.01)
    g_traj, t_traj = run_gw(g_opt, gp, data[:5]), run_torch(t_opt, tp, data[:5])
    g_opt.add_param_group({"params": [gp["w2"], gp["b2"]], "lr": 0.05})
    t_opt.add_param_group({"params": [tp["w2"], tp["b2"]], "lr": 0.05})
    g_traj += run_gw(g_opt, gp, data[5:])
    t_traj += run_torch(t_opt, tp, data[5:])
    assert_trajectories_equal(g_traj, t_traj)
    assert g_opt.param_groups[1]["betas"] == (0.9, 0.999)  # filled in from the defaults


def test_step_with_closure_returns_loss_and_matches_torch():
    weights, data = initial_weights(), batches()
    gp, tp = gw_params(weights), torch_params(weights)
    g_opt = optim.SGD(list(gp.values()), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(list(tp.values()), lr=0.1, momentum=0.9)
    for x, y in data[:5]:
        def g_closure():
            g_opt.zero_grad()
            loss = gw_loss(gp, x, y)
            loss.backward()
            return loss

        def t_closure():
            t_opt.zero_grad()
            loss = torch_loss(tp, x, y)
            loss.backward()
            return loss

        with gw.no_grad():  # the closure must still record a graph
            g_value = g_opt.step(g_closure)
        t_value = t_opt.step(t_closure)
        np.testing.assert_allclose(g_value.item(), t_value.item(), rtol=1e-12)
    for k in gp:
        np.testing.assert_allclose(gp[k].array, tp[k].detach().numpy(), rtol=1e-10, atol=1e-13)


def test_step_updates_parameter_arrays_in_place_without_recording_a_graph():
    p = gw.tensor([1.0, 2.0], requires_grad=True)
    array = p.array
    (p * p).sum().backward()
    optim.SGD([p], lr=0.25).step()
    assert p.array is array  # views and tied weights see the update
    np.testing.assert_array_equal(p.array, [0.5, 1.0])
    assert p.is_leaf and p.grad_fn is None


def test_zero_grad_sets_none_by_default_or_zeros():
    p = gw.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.array, [0.0, 0.0])
    opt.step()  # a zero gradient is not skipped: the momentum buffer is created
    assert "momentum_buffer" in opt.state[p]
    opt.zero_grad()
    assert p.grad is None


def test_works_with_nn_parameters_and_named_parameters():
    layer = gw.nn.Linear(3, 2).double()
    t_layer = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        t_layer.weight.copy_(torch.tensor(layer.weight.array))
        t_layer.bias.copy_(torch.tensor(layer.bias.array))
    g_opt = optim.Adam(layer.named_parameters(), lr=0.1)
    t_opt = torch.optim.Adam(t_layer.named_parameters(), lr=0.1)
    assert g_opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    x = np.random.default_rng(0).standard_normal((4, 3))
    for _ in range(3):
        g_opt.zero_grad()
        t_opt.zero_grad()
        layer(gw.tensor(x)).tanh().sum().backward()
        t_layer(torch.tensor(x)).tanh().sum().backward()
        g_opt.step()
        t_opt.step()
    np.testing.assert_allclose(layer.weight.array, t_layer.weight.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.array, t_layer.bias.detach().numpy(), rtol=1e-10)


BAD_ARGUMENTS = [
    ("SGD", dict(lr=-0.1), "learning rate"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4), "weight_decay"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ("Adam", dict(lr=-1e-3), "learning rate"),
    ("Adam", dict(eps=-1e-8), "epsilon"),
    ("Adam", dict(betas=(1.0, 0.999)), "beta parameter at index 0"),
    ("Adam", dict(betas=(0.9, -0.1)), "beta parameter at index 1"),
    ("Adam", dict(weight_decay=-0.1), "weight_decay"),
    ("AdamW", dict(betas=(0.9, 1.5)), "beta parameter at index 1"),
    ("RMSprop", dict(lr=-0.01), "learning rate"),
    ("RMSprop", dict(alpha=-0.9), "alpha"),
    ("RMSprop", dict(momentum=-0.9), "momentum"),
    ("RMSprop", dict(eps=-1.0), "epsilon"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    ("Adagrad", dict(eps=-1e-10), "epsilon"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("Adadelta", dict(lr=-1.0), "learning rate"),
    ("Adadelta", dict(weight_decay=-0.1), "weight_decay"),
]


@pytest.mark.parametrize("name,kwargs,match", BAD_ARGUMENTS)
def test_bad_hyperparameters_raise_value_error_like_torch(name, kwargs, match):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match) as info:
        getattr(optim, name)([gw.zeros(2, requires_grad=True)], **kwargs)
    assert name in str(info.value)  # the message names the optimizer


def test_bad_hyperparameters_in_a_param_group_raise_value_error():
    p, q = gw.zeros(2, requires_grad=True), gw.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="learning rate: -0.5"):
        optim.SGD([{"params": [p]}, {"params": [q], "lr": -0.5}], lr=0.1)


def test_bad_params_raise_like_torch():
    p = gw.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": p})


def test_load_state_dict_rejects_mismatched_groups_and_shapes():
    p, q = gw.zeros(2, requires_grad=True), gw.zeros(3, requires_grad=True)
    opt = optim.SGD([p, q], lr=0.1, momentum=0.9)
    (p.sum() + q.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        optim.SGD([p, q], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": sd["param_groups"] * 2})
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict, expected 1"):
        optim.SGD([p], lr=0.1, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"state\[0\]\['momentum_buffer'\] has shape \(2,\), "
                                         r"expected \(3,\)"):
        optim.SGD([q, p], lr=0.1, momentum=0.9).load_state_dict(sd)


def test_repr_lists_each_group_like_torch():
    text = repr(optim.SGD([gw.zeros(2, requires_grad=True)], lr=0.5, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.5\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")
