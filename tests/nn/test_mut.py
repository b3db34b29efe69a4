import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.nn.mut import MUT, HighwayRNN, HighwayRNNCell, MUT1Cell, MUT2Cell, MUT3Cell
from helpers import compare_with_torch


def _torch_mut(variant, p, x, h):
    """Seed 000's MUT formulas transcribed literally in torch (x: (N, I), h: (N, H))."""
    sig, tanh = torch.sigmoid, torch.tanh
    lin = lambda w, v: v @ p[w].T  # noqa: E731  W v for a batch of row vectors
    if variant == 1:
        z = sig(lin("weight_xz", x) + p["bias_z"])
        r = sig(lin("weight_xr", x) + lin("weight_hr", h) + p["bias_r"])
        x_term = tanh(x)
    elif variant == 2:
        z = sig(lin("weight_xz", x) + lin("weight_hz", h) + p["bias_z"])
        r = sig(x + lin("weight_hr", h) + p["bias_r"])
        x_term = lin("weight_xh", x)
    else:
        z = sig(lin("weight_xz", x) + lin("weight_hz", tanh(h)) + p["bias_z"])
        r = sig(lin("weight_xr", x) + lin("weight_hr", h) + p["bias_r"])
        x_term = lin("weight_xh", x)
    return tanh(lin("weight_hh", r * h) + x_term + p["bias_h"]) * z + h * (1 - z)


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_mut_layer_matches_torch_transcription_over_several_steps(variant, rng):
    gw.manual_seed(variant)
    layer = MUT(4, 4, variant=variant, dtype=np.float64)
    names = [n for n, _ in layer.cell.named_parameters()]
    arrays = [rng.standard_normal((5, 3, 4)), rng.standard_normal((1, 3, 4))]
    arrays += [p.array for _, p in layer.cell.named_parameters()]

    def gw_fn(x, h0, *ps):
        for n, p in zip(names, ps):  # run the cell on the comparison's leaf tensors
            layer.cell._parameters[n] = p
        return layer(x, h0)

    def torch_fn(x, h0, *ps):
        p = dict(zip(names, ps))
        h, outs = h0[0], []
        for t in range(x.shape[0]):
            h = _torch_mut(variant, p, x[t], h)
            outs.append(h)
        return torch.stack(outs), h[None]

    g_in = compare_with_torch(gw_fn, torch_fn, arrays)
    assert g_in[0].shape == (5, 3, 4) and g_in[1].shape == (1, 3, 4)


@pytest.mark.parametrize("cell_cls,i", [(MUT1Cell, 3), (MUT2Cell, 3), (MUT3Cell, 2)])
def test_mut_cells_gradcheck_input_state_and_parameters(cell_cls, i, rng):
    gw.manual_seed(0)
    cell = cell_cls(i, 3, dtype=np.float64)
    x = gw.tensor(rng.standard_normal((2, i)), requires_grad=True)
    h = gw.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    params = list(cell.parameters())
    assert gradcheck(lambda x, h, *p: cell(x, cell(x, h)), [x, h, *params])


def test_mut_sequence_gradcheck_batch_first(rng):
    gw.manual_seed(3)
    layer = MUT(2, 3, variant=3, batch_first=True, dtype=np.float64)
    x = gw.tensor(rng.standard_normal((2, 4, 2)), requires_grad=True)
    h0 = gw.tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    out, hn = layer(x, h0)
    assert out.shape == (2, 4, 3) and hn.shape == (1, 2, 3)
    np.testing.assert_array_equal(out.array[:, -1], hn.array[0])
    assert gradcheck(lambda x, h0, *p: layer(x, h0), [x, h0, *layer.parameters()])


def test_highway_cell_is_a_gated_residual(rng):
    gw.manual_seed(0)
    cell = HighwayRNNCell(3, 4, depth=1, dtype=np.float64)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    p = {n: q.array for n, q in cell.named_parameters()}
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    t = sig(h @ p["weight_ht_l0"].T + p["bias_t_l0"] + x @ p["weight_xt"].T)
    hh = np.tanh(h @ p["weight_hh_l0"].T + p["bias_h_l0"] + x @ p["weight_xh"].T)
    np.testing.assert_allclose(cell(gw.tensor(x), gw.tensor(h)).array, t * hh + (1 - t) * h)
    # a very negative transform bias closes the gate: the state is carried unchanged
    carry = HighwayRNNCell(3, 4, transform_bias=-50.0, dtype=np.float64)
    np.testing.assert_allclose(carry(gw.tensor(x), gw.tensor(h)).array, h, atol=1e-12)


def test_highway_rnn_depth2_gradcheck(rng):
    gw.manual_seed(1)
    layer = HighwayRNN(2, 3, depth=2, dtype=np.float64)
    x = gw.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x, *p: layer(x), [x, *layer.parameters()])


def test_mut_errors():
    with pytest.raises(ValueError, match="MUT1Cell.*input_size must equal hidden_size"):
        MUT1Cell(3, 4)
    with pytest.raises(ValueError, match="variant must be 1, 2 or 3"):
        MUT(3, 3, variant=4)
    cell = MUT3Cell(2, 3)
    with pytest.raises(ValueError, match=r"MUT3Cell\(input_size=2, hidden_size=3\): expected input \(N, 2\)"):
        cell(gw.zeros(4, 3))
    with pytest.raises(ValueError, match=r"expected hidden state \(4, 3\), got \(4, 2\)"):
        cell(gw.zeros(4, 2), gw.zeros(4, 2))
    with pytest.raises(ValueError, match=r"MUT.*expected input \(T, N, 3\)"):
        MUT(3, 3)(gw.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"expected h0 \(1, 2, 3\)"):
        MUT(3, 3)(gw.zeros(5, 2, 3), gw.zeros(2, 3))
