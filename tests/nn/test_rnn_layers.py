"""RNN/LSTM/GRU modules and cells against PyTorch: outputs and every gradient (input, h0/c0,
all parameters), state_dict loading, init, repr and input errors."""
import itertools

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise import nn

T, N, I, H = 5, 3, 4, 5

# mode -> (gradwise class, torch class, extra kwargs)
MODES = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "lstm_proj": (nn.LSTM, torch.nn.LSTM, {"proj_size": 3}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}


def make_pair(mode, dtype=torch.float64, seed=0, **kw):
    """A torch module and a gradwise module holding the same weights (loaded strictly)."""
    g_cls, t_cls, extra = MODES[mode]
    kw = {**extra, **kw}
    torch.manual_seed(seed)
    tm = t_cls(I, H, **kw).to(dtype)
    gm = g_cls(I, H, **kw, dtype=np.float64 if dtype == torch.float64 else np.float32)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()}, strict=True)
    return gm, tm


def run_and_compare(gm, tm, x, hx, atol, rtol, seed=1):
    """Forward both, backprop Σ v·outputs, compare outputs and every gradient."""
    is_lstm = isinstance(tm, torch.nn.LSTM)
    tx = torch.tensor(x, requires_grad=True)
    gx = gw.tensor(x, requires_grad=True)
    th = tuple(torch.tensor(h, requires_grad=True) for h in hx) if hx else None
    gh = tuple(gw.tensor(h, requires_grad=True) for h in hx) if hx else None
    t_out = tm(tx, (th if is_lstm else th[0]) if hx else None)
    g_out = gm(gx, (gh if is_lstm else gh[0]) if hx else None)
    t_flat = [t_out[0], *t_out[1]] if is_lstm else list(t_out)
    g_flat = [g_out[0], *g_out[1]] if is_lstm else list(g_out)
    rng = np.random.default_rng(seed)
    loss = 0
    for k, (g, t) in enumerate(zip(g_flat, t_flat)):
        assert g.shape == tuple(t.shape), f"output {k}: shape {g.shape} vs {tuple(t.shape)}"
        assert g.dtype == t.detach().numpy().dtype
        np.testing.assert_allclose(g.array, t.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"output {k}")
        v = rng.standard_normal(g.shape).astype(g.dtype)
        loss = loss + (t * torch.tensor(v)).sum()
        g.backward(v, retain_graph=k < len(g_flat) - 1)
    loss.backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=atol, rtol=rtol,
                               err_msg="d input")
    for k, (g, t) in enumerate(zip(gh or (), th or ())):
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"d hx[{k}]")
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(g_params[name].grad.array, p.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"d {name}")


def states(mode, layers, bidirectional, batched=True, n=N, dtype=np.float64, seed=3):
    rng = np.random.default_rng(seed)
    D = 2 if bidirectional else 1
    real_h = MODES[mode][2].get("proj_size", 0) or H
    shape = (layers * D, n, real_h) if batched else (layers * D, real_h)
    h0 = rng.standard_normal(shape).astype(dtype)
    if mode.startswith("lstm"):
        c_shape = shape[:-1] + (H,)
        return (h0, rng.standard_normal(c_shape).astype(dtype))
    return (h0,)


FLAGS = list(itertools.product([False, True], repeat=3))  # batch_first, bias, with h0


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (1, True), (2, False), (2, True),
                                                  (3, True)])
@pytest.mark.parametrize("batch_first,bias,with_h0", FLAGS)
def test_rnn_module_matches_torch_float64(mode, layers, bidirectional, batch_first, bias,
                                          with_h0):
    gm, tm = make_pair(mode, num_layers=layers, bidirectional=bidirectional,
                       batch_first=batch_first, bias=bias)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, T, I) if batch_first else (T, N, I))
    hx = states(mode, layers, bidirectional) if with_h0 else None
    run_and_compare(gm, tm, x, hx, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("mode", list(MODES))
def test_rnn_module_matches_torch_float32(mode):
    # float32: the fused kernels sum in a different order than PyTorch's; 1e-5 covers it.
    gm, tm = make_pair(mode, dtype=torch.float32, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    hx = states(mode, 2, True, dtype=np.float32)
    run_and_compare(gm, tm, x, hx, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "lstm_proj", "gru"])
def test_rnn_module_unbatched_input_matches_torch(mode):
    gm, tm = make_pair(mode, num_layers=2, bidirectional=True)
    x = np.random.default_rng(2).standard_normal((T, I))
    run_and_compare(gm, tm, x, states(mode, 2, True, batched=False), atol=1e-12, rtol=1e-10)


def test_state_dict_keys_and_shapes_match_torch():
    for mode in MODES:
        gm, tm = make_pair(mode, num_layers=2, bidirectional=True)
        g_sd, t_sd = gm.state_dict(), tm.state_dict()
        assert list(g_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(g_sd[k].shape) == tuple(t_sd[k].shape), k


def test_gradwise_state_dict_loads_into_torch():
    gw.manual_seed(0)
    gm = nn.LSTM(I, H, num_layers=2, bidirectional=True, dtype=np.float64)
    tm = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True).double()
    tm.load_state_dict({k: torch.tensor(v.array) for k, v in gm.state_dict().items()}, strict=True)
    x = np.random.default_rng(0).standard_normal((T, N, I))
    np.testing.assert_allclose(gm(gw.tensor(x))[0].array, tm(torch.tensor(x))[0].detach().numpy(),
                               atol=1e-12)


def test_default_init_is_uniform_one_over_sqrt_hidden():
    gw.manual_seed(0)
    m = nn.GRU(8, 64, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(64)
    allw = np.concatenate([p.array.ravel() for p in m.parameters()])
    assert allw.dtype == np.float32
    assert np.abs(allw).max() <= bound
    assert np.abs(allw).max() > 0.95 * bound  # fills the interval, not a narrower one
    assert abs(allw.mean()) < 0.02 * bound * 10
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 4


def test_reprs_match_torch():
    pairs = [
        (nn.LSTM(4, 5, 2, dropout=0.5, bidirectional=True, proj_size=3),
         torch.nn.LSTM(4, 5, 2, dropout=0.5, bidirectional=True, proj_size=3)),
        (nn.GRU(4, 5, batch_first=True, bias=False), torch.nn.GRU(4, 5, batch_first=True,
                                                                  bias=False)),
        (nn.LSTMCell(4, 5), torch.nn.LSTMCell(4, 5)),
        (nn.RNNCell(4, 5, nonlinearity="relu"), torch.nn.RNNCell(4, 5, nonlinearity="relu")),
    ]
    for g, t in pairs:
        assert repr(g) == repr(t)
    assert repr(nn.GRU(4, 5, reset_after=False)) == "GRU(4, 5, reset_after=False)"


def test_flatten_parameters_is_a_noop():
    m = nn.LSTM(I, H)
    before = {k: v.array.copy() for k, v in m.state_dict().items()}
    assert m.flatten_parameters() is None
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.array, before[k])


def test_dropout_between_layers_only_in_training():
    gw.manual_seed(0)
    m = nn.LSTM(I, H, num_layers=2, dropout=0.5, dtype=np.float64)
    x = gw.tensor(np.random.default_rng(0).standard_normal((T, N, I)))
    m.eval()
    y1, y2 = m(x)[0].array, m(x)[0].array
    np.testing.assert_array_equal(y1, y2)  # eval: deterministic
    m.train()
    gw.manual_seed(1)
    a = m(x)[0].array
    gw.manual_seed(1)
    b = m(x)[0].array
    gw.manual_seed(2)
    c = m(x)[0].array
    np.testing.assert_array_equal(a, b)  # dropout masks come from the library RNG
    assert not np.allclose(a, c) and not np.allclose(a, y1)
    # dropout=0 in training equals eval
    m0 = nn.LSTM(I, H, num_layers=2, dropout=0.0, dtype=np.float64)
    np.testing.assert_array_equal(m0.train()(x)[0].array, m0.eval()(x)[0].array)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(I, H, num_layers=1, dropout=0.3)


# -- cells -------------------------------------------------------------------------------------
CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_h0,batched", [(True, True), (False, True), (True, False)])
def test_cells_match_torch(kind, bias, with_h0, batched):
    g_cls, t_cls, kw = CELLS[kind]
    torch.manual_seed(0)
    tc = t_cls(I, H, bias=bias, **kw).double()
    gc = g_cls(I, H, bias=bias, **kw, dtype=np.float64)
    gc.load_state_dict({k: v.detach().numpy() for k, v in tc.state_dict().items()}, strict=True)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((3, N, I) if batched else (3, I))  # three steps, state carried
    hs = [rng.standard_normal((N, H) if batched else (H,)) for _ in range(2 if kind == "lstm"
                                                                         else 1)]
    tx = [torch.tensor(a, requires_grad=True) for a in xs]
    gx = [gw.tensor(a, requires_grad=True) for a in xs]
    th = [torch.tensor(h, requires_grad=True) for h in hs]
    gh = [gw.tensor(h, requires_grad=True) for h in hs]
    t_state = (tuple(th) if kind == "lstm" else th[0]) if with_h0 else None
    g_state = (tuple(gh) if kind == "lstm" else gh[0]) if with_h0 else None
    t_loss, g_outs = 0, []
    v = rng.standard_normal((3, N, H) if batched else (3, H))
    for step in range(3):
        t_state = tc(tx[step], t_state)
        g_state = gc(gx[step], g_state)
        t_h = t_state[0] if kind == "lstm" else t_state
        g_h = g_state[0] if kind == "lstm" else g_state
        np.testing.assert_allclose(g_h.array, t_h.detach().numpy(), atol=1e-12, rtol=1e-10)
        t_loss = t_loss + (t_h * torch.tensor(v[step])).sum()
        g_outs.append(g_h * gw.tensor(v[step]))
    if kind == "lstm":
        np.testing.assert_allclose(g_state[1].array, t_state[1].detach().numpy(), atol=1e-12)
        t_loss = t_loss + t_state[1].sum()
        g_outs.append(g_state[1])
    t_loss.backward()
    g_loss = g_outs[0].sum()
    for o in g_outs[1:]:
        g_loss = g_loss + o.sum()
    g_loss.backward()
    for a, b in zip(gx, tx):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), atol=1e-12, rtol=1e-10)
    if with_h0:
        for a, b in zip(gh, th):
            np.testing.assert_allclose(a.grad.array, b.grad.numpy(), atol=1e-12, rtol=1e-10)
    g_params = dict(gc.named_parameters())
    for name, p in tc.named_parameters():
        np.testing.assert_allclose(g_params[name].grad.array, p.grad.numpy(), atol=1e-12,
                                   rtol=1e-10, err_msg=name)


# -- bad input ---------------------------------------------------------------------------------
def test_wrong_input_size_is_a_clear_error():
    m = nn.LSTM(I, H)
    with pytest.raises(ValueError, match=r"LSTM: input.size\(-1\) must be equal to input_size. "
                                         r"Expected 4, got 3"):
        m(gw.randn(T, N, 3))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D instead"):
        nn.GRU(I, H)(gw.randn(2, T, N, I))
    with pytest.raises(ValueError, match="input has inconsistent input_size: got 3 expected 4"):
        nn.LSTMCell(I, H)(gw.randn(N, 3))
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D"):
        nn.RNNCell(I, H)(gw.randn(T, N, I))


def test_wrong_hidden_shape_is_a_clear_error():
    x = gw.randn(T, N, I)
    with pytest.raises(ValueError, match=r"Expected hidden\[0\] size \(2, 3, 5\), got \[1, 3, 5\]"):
        nn.LSTM(I, H, bidirectional=True)(x, (gw.randn(1, N, H), gw.randn(2, N, H)))
    with pytest.raises(ValueError, match=r"Expected hidden\[1\] size \(1, 3, 5\), got \[1, 3, 4\]"):
        nn.LSTM(I, H)(x, (gw.randn(1, N, H), gw.randn(1, N, 4)))
    with pytest.raises(ValueError, match=r"Expected hidden size \(1, 3, 5\), got \[1, 2, 5\]"):
        nn.GRU(I, H)(x, gw.randn(1, 2, H))
    with pytest.raises(ValueError, match=r"Expected hidden\[0\] size \(1, 3, 2\), got \[1, 3, 5\]"):
        nn.LSTM(I, H, proj_size=2)(x, (gw.randn(1, N, H), gw.randn(1, N, H)))
    with pytest.raises(ValueError, match="For batched 3-D input, hx should also be 3-D"):
        nn.RNN(I, H)(x, gw.randn(N, H))
    with pytest.raises(ValueError, match="hx must be a tuple"):
        nn.LSTM(I, H)(x, gw.randn(1, N, H))
    with pytest.raises(ValueError, match="Input batch size 3 doesn't match hidden0 batch size 2"):
        nn.GRUCell(I, H)(gw.randn(N, I), gw.randn(2, H))


def test_input_dtype_must_match_parameters():
    with pytest.raises(ValueError, match="input must have the type float32"):
        nn.GRU(I, H)(gw.tensor(np.zeros((T, N, I))))


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.RNNBase("GRU", I, H, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(I, H, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be an integer"):
        nn.GRU(I, 0)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(I, H, nonlinearity="sigmoid")
