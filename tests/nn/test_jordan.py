import numpy as np
import pytest

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.nn.jordan import JordanRNN


def _numpy_jordan(p, x, o0, act=lambda a: a, teacher=None):
    o, outs, hs = o0, [], []
    for t in range(x.shape[0]):
        if t > 0:
            o = teacher[t - 1] if teacher is not None else outs[-1]
        h = np.tanh(x[t] @ p["weight_ih"].T + o @ p["weight_oh"].T + p["bias_h"])
        hs.append(h)
        outs.append(act(h @ p["weight_ho"].T + p["bias_o"]))
    return np.stack(outs), np.stack(hs)


def test_jordan_matches_numpy_transcription(rng):
    gw.manual_seed(0)
    net = JordanRNN(3, 5, 2, output_activation="tanh", dtype=np.float64)
    p = {n: q.array for n, q in net.named_parameters()}
    x, o0 = rng.standard_normal((6, 4, 3)), rng.standard_normal((4, 2))
    out, hid = net(gw.tensor(x), gw.tensor(o0))
    ref_out, ref_h = _numpy_jordan(p, x, o0, np.tanh)
    np.testing.assert_allclose(out.array, ref_out, atol=1e-12)
    np.testing.assert_allclose(hid.array, ref_h, atol=1e-12)


def test_jordan_gradcheck_input_o0_and_parameters(rng):
    gw.manual_seed(1)
    net = JordanRNN(2, 3, 2, output_activation="softmax", dtype=np.float64)
    x = gw.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    o0 = gw.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lambda x, o0, *p: net(x, o0), [x, o0, *net.parameters()])


def test_teacher_forcing_feeds_targets_and_cuts_feedback_gradient(rng):
    gw.manual_seed(2)
    net = JordanRNN(2, 4, 1, batch_first=True, dtype=np.float64)
    p = {n: q.array for n, q in net.named_parameters()}
    x, y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 1))
    out, hid = net(gw.tensor(x), teacher=gw.tensor(y))
    assert out.shape == (3, 5, 1) and hid.shape == (3, 5, 4)
    ref, _ = _numpy_jordan(p, x.transpose(1, 0, 2), np.zeros((3, 1)),
                           teacher=y.transpose(1, 0, 2))
    np.testing.assert_allclose(out.array, ref.transpose(1, 0, 2), atol=1e-12)
    # with teacher forcing, the loss at step t depends on x only through x_t
    xt = gw.tensor(x, requires_grad=True)
    net(xt, teacher=gw.tensor(y))[0][:, 3].sum().backward()
    g = np.abs(xt.grad.array).sum(axis=(0, 2))
    assert g[3] > 0 and np.all(g[[0, 1, 2, 4]] == 0)
    # free running: step 3 depends on every earlier input through the fed-back outputs
    xf = gw.tensor(x, requires_grad=True)
    net(xf)[0][:, 3].sum().backward()
    assert np.all(np.abs(xf.grad.array).sum(axis=(0, 2))[:4] > 0)


def test_jordan_errors():
    with pytest.raises(ValueError, match="output_activation must be one of"):
        JordanRNN(2, 3, 1, output_activation="relu")
    net = JordanRNN(2, 3, 1)
    with pytest.raises(ValueError, match=r"JordanRNN\(.*\): expected input \(T, N, 2\)"):
        net(gw.zeros(4, 2, 3))
    with pytest.raises(ValueError, match=r"expected o0 \(2, 1\)"):
        net(gw.zeros(4, 2, 2), gw.zeros(2, 2))
    with pytest.raises(ValueError, match="expected teacher"):
        net(gw.zeros(4, 2, 2), teacher=gw.zeros(3, 2, 1))
