"""In-place edits: version counters, the check in backward, and PyTorch's `.data` semantics."""
import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn, optim


def _x(values=(1.0, 2.0, 3.0)):
    return gw.tensor(np.array(values), requires_grad=True)


MODIFIED = "modified by an inplace operation"


@pytest.mark.parametrize("edit", [
    lambda x: x.copy_(gw.tensor(np.full(3, 5.0))),
    lambda x: x.fill_(5.0),
    lambda x: x.zero_(),
    lambda x: x.add_(1.0),
    lambda x: x.mul_(2.0),
    lambda x: x.normal_(),
    lambda x: x.data.add_(1.0),
], ids=["copy_", "fill_", "zero_", "add_", "mul_", "normal_", "data.add_"])
def test_inplace_edit_of_a_saved_input_makes_backward_raise(edit):
    x = _x()
    y = (x * x).sum()
    with gw.no_grad():
        edit(x)
    with pytest.raises(RuntimeError, match=MODIFIED) as err:
        y.backward()
    assert "mulBackward" in str(err.value) and "input" in str(err.value)


def test_optimizer_step_between_forward_and_backward_raises():
    layer = nn.Linear(3, 2).double()
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = gw.tensor(np.ones((4, 3)))
    layer(x).sum().backward()
    loss = layer(x).sum()  # saves the weight
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_load_state_dict_between_forward_and_backward_raises():
    layer = nn.Linear(3, 2).double()
    loss = layer(gw.tensor(np.ones((4, 3)))).sum()
    layer.load_state_dict({k: v.array * 2 for k, v in layer.state_dict().items()})
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_inplace_edit_of_an_input_the_op_did_not_save_is_allowed():
    x = _x()
    y = (x + 1.0).sum()  # add keeps shapes only
    with gw.no_grad():
        x.add_(10.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.array, np.ones(3))


def test_inplace_edit_of_a_saved_output_raises():
    x = _x()
    y = x.exp()  # exp's backward reads its output
    loss = y.sum()
    with gw.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="output 0 of <expBackward>"):
        loss.backward()


def test_version_counts_every_inplace_path_and_is_shared_with_data_and_detach():
    x = gw.tensor(np.zeros(3))
    d, v = x.data, x.detach()
    assert x._version == 0
    x.add_(1.0)
    d.mul_(2.0)
    v.fill_(3.0)
    x.data = gw.tensor(np.ones(3))
    assert x._version == d._version == v._version == 4


def test_data_is_a_detached_tensor_sharing_memory_like_torch():
    w = gw.tensor(np.arange(3.0), requires_grad=True)
    t = torch.arange(3.0, dtype=torch.float64, requires_grad=True)
    for p in (w, t):
        assert not p.data.requires_grad and p.data.grad_fn is None
        p.data.add_(p.data, alpha=-0.5)
        p.data.mul_(2.0)
    np.testing.assert_array_equal(w.array, t.detach().numpy())
    assert isinstance(w.data, gw.Tensor)
    assert float(w.sum().data.item()) == float(t.sum().data.item())


def test_manual_sgd_through_data_matches_torch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    g, t = nn.Linear(3, 1).double(), torch.nn.Linear(3, 1).double()
    t.load_state_dict({k: torch.tensor(v.array) for k, v in g.state_dict().items()})
    for _ in range(3):
        for model, lib in ((g, gw), (t, torch)):
            model.zero_grad()
            loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(g.weight.array, t.weight.detach().numpy(), rtol=1e-12)


def test_inplace_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    x = _x()
    for edit in (lambda: x.add_(1.0), lambda: x.fill_(0.0), lambda: x.copy_(np.zeros(3))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            edit()


def test_inplace_on_a_non_leaf_rewrites_its_history_like_torch():
    xv = np.array([1.0, -2.0, 3.0])
    g, t = gw.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    for x in (g, t):
        y = x * 2.0
        y.mul_(x)       # y = 2x², differentiable through the in-place op
        y.add_(1.0)
        y.sum().backward()
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-12)
    assert y.grad_fn is not None


def test_consumer_recorded_before_an_inplace_op_keeps_its_gradient_path():
    xv = np.array([1.0, 2.0])
    g, t = gw.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    for x in (g, t):
        h = x * 3.0
        before = h + 1.0   # add saves no values: recorded on h's old history
        h.mul_(5.0)
        (before.sum() + h.sum()).backward()
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-12)


def test_inplace_result_that_does_not_fit_is_refused():
    x = gw.tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) does not fit"):
        x.add_(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="can't be broadcast"):
        x.copy_(np.zeros(4))


def test_backward_refuses_a_kernel_gradient_of_another_dtype():
    def forward(a):
        return a * 2, None

    def backward(g, cache):
        return (g * 2).astype(np.float64)

    x = gw.tensor(np.ones(2, np.float32), requires_grad=True)
    y = gw.core.apply_op(forward, backward, x, name="promoting")
    with pytest.raises(AssertionError, match="float64 gradient for a float32 input"):
        y.sum().backward()


def test_forward_that_asks_receives_needs_input_grad():
    seen = []

    def forward(a, b, needs_input_grad):
        seen.append(needs_input_grad)
        return a + b, None

    def backward(g, cache):
        return g, g

    a, b = gw.tensor(np.ones(2), requires_grad=True), gw.tensor(np.ones(2))
    gw.core.apply_op(forward, backward, a, b)
    with gw.no_grad():
        gw.core.apply_op(forward, backward, a, b)
    assert seen == [(True, False), (False, False)]
