"""Variable-length batches: nn.utils.rnn packing helpers and packed RNN/LSTM/GRU vs PyTorch,
plus the truncated-BPTT helpers."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import gradwise as gw
from gradwise import nn
from gradwise.nn.utils import rnn as grnn
from gradwise.nn.utils.tbptt import chunk_sequence, detach_hidden

I, H = 3, 4
LENGTHS_SORTED = [6, 4, 4, 2, 1]
LENGTHS_UNSORTED = [2, 6, 1, 4, 5]


def test_pack_padded_sequence_matches_torch_layout_and_gradient():
    rng = np.random.default_rng(0)
    for lengths, enforce in [(LENGTHS_SORTED, True), (LENGTHS_UNSORTED, False)]:
        for batch_first in (False, True):
            T, B = max(lengths) + 1, len(lengths)  # one step of pure padding
            x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
            tx, gx = torch.tensor(x, requires_grad=True), gw.tensor(x, requires_grad=True)
            tp = trnn.pack_padded_sequence(tx, lengths, batch_first=batch_first,
                                           enforce_sorted=enforce)
            gp = grnn.pack_padded_sequence(gx, lengths, batch_first=batch_first,
                                           enforce_sorted=enforce)
            np.testing.assert_array_equal(gp.batch_sizes, tp.batch_sizes.numpy())
            np.testing.assert_array_equal(gp.data.array, tp.data.detach().numpy())
            if enforce:
                assert gp.sorted_indices is None and tp.sorted_indices is None
            else:
                np.testing.assert_array_equal(gp.sorted_indices, tp.sorted_indices.numpy())
                np.testing.assert_array_equal(gp.unsorted_indices, tp.unsorted_indices.numpy())
            v = rng.standard_normal(gp.data.shape)
            (tp.data * torch.tensor(v)).sum().backward()
            gp.data.backward(v)
            np.testing.assert_array_equal(gx.grad.array, tx.grad.numpy())  # zero on padding


def test_pad_packed_sequence_round_trip_matches_torch():
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, I)) for n in LENGTHS_UNSORTED]
    tp = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    g_in = [gw.tensor(s, requires_grad=True) for s in seqs]
    gp = grnn.pack_sequence(g_in, enforce_sorted=False)
    for batch_first in (False, True):
        for total in (None, 8):
            t_pad, t_len = trnn.pad_packed_sequence(tp, batch_first=batch_first,
                                                    padding_value=-1.0, total_length=total)
            g_pad, g_len = grnn.pad_packed_sequence(gp, batch_first=batch_first,
                                                    padding_value=-1.0, total_length=total)
            assert g_pad.shape == tuple(t_pad.shape)
            np.testing.assert_array_equal(g_pad.array, t_pad.numpy())
            np.testing.assert_array_equal(g_len.array, t_len.numpy())
    # gradient flows back from the padded batch to each input sequence
    g_pad, _ = grnn.pad_packed_sequence(gp, batch_first=True)
    (g_pad * 2.0).sum().backward()
    for s in g_in:
        np.testing.assert_array_equal(s.grad.array, np.full(s.shape, 2.0))
    for a, b in zip(grnn.unpack_sequence(gp), seqs):
        np.testing.assert_array_equal(a.array, b)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 2, 3)) for n in (3, 5, 1)]
    t = trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first,
                          padding_value=7.0, padding_side=side)
    g_in = [gw.tensor(s, requires_grad=True) for s in seqs]
    g = grnn.pad_sequence(g_in, batch_first=batch_first, padding_value=7.0, padding_side=side)
    np.testing.assert_array_equal(g.array, t.numpy())
    g.sum().backward()
    for s in g_in:
        np.testing.assert_array_equal(s.grad.array, np.ones(s.shape))


MODES = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "lstm_proj": (nn.LSTM, torch.nn.LSTM, {"proj_size": 2}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("lengths,enforce", [(LENGTHS_SORTED, True), (LENGTHS_UNSORTED, False)])
@pytest.mark.parametrize("layers,bidirectional,with_h0", [(1, True, True), (2, True, False),
                                                          (2, False, True)])
def test_packed_rnn_matches_torch(mode, lengths, enforce, layers, bidirectional, with_h0):
    g_cls, t_cls, kw = MODES[mode]
    torch.manual_seed(0)
    tm = t_cls(I, H, num_layers=layers, bidirectional=bidirectional, **kw).double()
    gm = g_cls(I, H, num_layers=layers, bidirectional=bidirectional, **kw, dtype=np.float64)
    gm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()}, strict=True)
    rng = np.random.default_rng(3)
    T, B = max(lengths), len(lengths)
    x = rng.standard_normal((B, T, I))
    D = 2 if bidirectional else 1
    P = kw.get("proj_size", 0) or H
    hs = [rng.standard_normal((layers * D, B, P))]
    if mode.startswith("lstm"):
        hs.append(rng.standard_normal((layers * D, B, H)))
    tx, gx = torch.tensor(x, requires_grad=True), gw.tensor(x, requires_grad=True)
    th = [torch.tensor(h, requires_grad=True) for h in hs]
    gh = [gw.tensor(h, requires_grad=True) for h in hs]
    t_hx = (tuple(th) if len(th) == 2 else th[0]) if with_h0 else None
    g_hx = (tuple(gh) if len(gh) == 2 else gh[0]) if with_h0 else None
    t_out, t_hn = tm(trnn.pack_padded_sequence(tx, lengths, batch_first=True,
                                               enforce_sorted=enforce), t_hx)
    g_out, g_hn = gm(grnn.pack_padded_sequence(gx, lengths, batch_first=True,
                                               enforce_sorted=enforce), g_hx)
    assert isinstance(g_out, grnn.PackedSequence)
    np.testing.assert_array_equal(g_out.batch_sizes, t_out.batch_sizes.numpy())
    t_pad, _ = trnn.pad_packed_sequence(t_out, batch_first=True)
    g_pad, _ = grnn.pad_packed_sequence(g_out, batch_first=True)
    t_res = [t_pad] + (list(t_hn) if isinstance(t_hn, tuple) else [t_hn])
    g_res = [g_pad] + (list(g_hn) if isinstance(g_hn, tuple) else [g_hn])
    t_loss, g_loss = 0, None
    for k, (g, t) in enumerate(zip(g_res, t_res)):
        np.testing.assert_allclose(g.array, t.detach().numpy(), atol=1e-12, rtol=1e-10,
                                   err_msg=f"output {k}")
        v = rng.standard_normal(g.shape)
        t_loss = t_loss + (t * torch.tensor(v)).sum()
        term = (g * gw.tensor(v)).sum()
        g_loss = term if g_loss is None else g_loss + term
    t_loss.backward()
    g_loss.backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), atol=1e-12, rtol=1e-10)
    if with_h0:
        for a, b in zip(gh, th):
            np.testing.assert_allclose(a.grad.array, b.grad.numpy(), atol=1e-12, rtol=1e-10)
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(g_params[name].grad.array, p.grad.numpy(), atol=1e-12,
                                   rtol=1e-10, err_msg=name)


def test_packed_outputs_are_zero_past_each_length_and_h_n_is_the_last_valid_step():
    gw.manual_seed(0)
    m = nn.GRU(I, H, bidirectional=True, dtype=np.float64)
    rng = np.random.default_rng(4)
    lengths = LENGTHS_UNSORTED
    x = rng.standard_normal((len(lengths), max(lengths), I))
    out, h_n = m(grnn.pack_padded_sequence(gw.tensor(x), lengths, batch_first=True,
                                           enforce_sorted=False))
    pad, lens = grnn.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_array_equal(lens.array, lengths)
    for b, n in enumerate(lengths):
        assert np.all(pad.array[b, n:] == 0)
        # each sequence alone gives the same result as inside the packed batch
        y1, h1 = m(gw.tensor(x[b:b + 1, :n].transpose(1, 0, 2)))
        np.testing.assert_allclose(pad.array[b, :n], y1.array[:, 0], atol=1e-12)
        np.testing.assert_allclose(h_n.array[:, b], h1.array[:, 0], atol=1e-12)
        np.testing.assert_allclose(h_n.array[1, b], pad.array[b, 0, H:], atol=1e-12)  # reverse
        np.testing.assert_allclose(h_n.array[0, b], pad.array[b, n - 1, :H], atol=1e-12)


def test_packing_errors_are_clear():
    x = gw.randn(4, 3, I)
    with pytest.raises(ValueError, match="must be sorted in decreasing order when "
                                         "`enforce_sorted` is True"):
        grnn.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(ValueError, match=r"a length \(5\) exceeds the padded sequence length 4"):
        grnn.pack_padded_sequence(x, [5, 4, 1])
    with pytest.raises(ValueError, match="Length of all samples has to be greater than 0"):
        grnn.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(ValueError, match="expected 3 lengths"):
        grnn.pack_padded_sequence(x, [4, 2])
    packed = grnn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        grnn.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(ValueError, match=r"LSTM: Expected hidden\[0\] size \(1, 3, 5\)"):
        nn.LSTM(I, 5)(packed, (gw.randn(1, 2, 5), gw.randn(1, 3, 5)))


def test_detach_hidden_cuts_the_graph_and_keeps_values():
    h = gw.randn(2, 3, requires_grad=True) * 2.0
    c = gw.randn(2, 3, requires_grad=True) * 3.0
    dh, (dh2, dc2) = detach_hidden(h), detach_hidden((h, c))
    for a, b in [(dh, h), (dh2, h), (dc2, c)]:
        np.testing.assert_array_equal(a.array, b.array)
        assert a.is_leaf and not a.requires_grad
    assert detach_hidden(None) is None
    assert isinstance(detach_hidden([h, c]), list)
    with pytest.raises(TypeError, match="detach_hidden"):
        detach_hidden("state")


def test_chunk_sequence_windows_and_truncated_bptt_training_step():
    x, y = np.arange(10 * 2).reshape(10, 2), np.arange(10)
    chunks = list(chunk_sequence(x, y, chunk_len=4))
    assert [c[0].shape[0] for c in chunks] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y)
    assert len(list(chunk_sequence(x, chunk_len=4, drop_last=True))) == 2
    with pytest.raises(ValueError, match="has length"):
        list(chunk_sequence(x, y[:5], chunk_len=4))
    # truncated BPTT: the gradient of chunk k reaches only chunk k's inputs
    gw.manual_seed(0)
    m = nn.LSTM(I, H, dtype=np.float64)
    seq = gw.tensor(np.random.default_rng(0).standard_normal((12, 2, I)), requires_grad=True)
    hidden = None
    for k, window in enumerate(chunk_sequence(seq, chunk_len=4)):
        hidden = detach_hidden(hidden)
        out, hidden = m(window, hidden)
        seq.grad = None
        out.sum().backward()
        g = seq.grad.array
        assert np.all(g[4 * k:4 * k + 4] != 0) and np.all(np.delete(g, range(4 * k, 4 * k + 4),
                                                                     axis=0) == 0)
