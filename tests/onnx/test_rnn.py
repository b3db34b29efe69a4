"""RNN / LSTM / GRU layers as ONNX's recurrent operators: 1–2 layers, uni/bidirectional,
batch_first, with and without an initial state, both GRU forms; char-LM and seq2seq encoder.
Two batch sizes and sequence lengths through dynamic axes, 1e-5 relative in float32."""
import itertools

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import gradwise as gw  # noqa: E402
from gradwise import nn  # noqa: E402

SIZES = [(2, 5), (3, 8)]  # (batch, sequence length)
I, H = 4, 6


def _layer(kind, num_layers, bidirectional, batch_first, reset_after):
    kw = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    if kind == "GRU":
        return nn.GRU(I, H, reset_after=reset_after, **kw)
    if kind == "RNN_RELU":
        return nn.RNN(I, H, nonlinearity="relu", **kw)
    return {"RNN": nn.RNN, "LSTM": nn.LSTM}[kind](I, H, **kw)


CASES = [c for c in itertools.product(["RNN", "RNN_RELU", "LSTM", "GRU"], [1, 2], [False, True],
                                      [False, True], [False, True])
         if c[0] == "GRU" or c[4]]  # reset_after only varies for the GRU


@pytest.mark.parametrize("kind,num_layers,bidirectional,batch_first,reset_after", CASES)
@pytest.mark.parametrize("with_h0", [False, True])
def test_recurrent_layer_matches_onnxruntime(kind, num_layers, bidirectional, batch_first,
                                             reset_after, with_h0, onnx_matches):
    gw.manual_seed(0)
    layer = _layer(kind, num_layers, bidirectional, batch_first, reset_after)
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(0)
    b_axis, t_axis = (0, 1) if batch_first else (1, 0)

    def inputs(size):
        n, t = size
        x = rng.standard_normal((n, t, I) if batch_first else (t, n, I)).astype(np.float32)
        if not with_h0:
            return (x,)
        h = [rng.standard_normal((num_layers * D, n, H)).astype(np.float32)]
        return (x, *(h * (2 if kind == "LSTM" else 1)))

    class Wrap(nn.Module):  # passes h0 (and c0) the way each layer takes them
        def __init__(self):
            super().__init__()
            self.rnn = layer

        def forward(self, x, h0=None, c0=None):
            if h0 is None:
                return self.rnn(x)
            return self.rnn(x, (h0, c0) if kind == "LSTM" else h0)

    n_state = 2 if kind == "LSTM" else 1
    in_names = ["x"] + (["h0", "c0"][:n_state] if with_h0 else [])
    out_names = ["y", "h_n", "c_n"][:1 + n_state]
    axes = {"x": {b_axis: "batch", t_axis: "seq"}, "y": {b_axis: "batch", t_axis: "seq"}}
    axes.update({n: {1: "batch"} for n in in_names[1:] + out_names[1:]})
    proto = onnx_matches(Wrap(), inputs, SIZES, axes, input_names=in_names,
                         output_names=out_names)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count({"LSTM": "LSTM", "GRU": "GRU"}.get(kind, "RNN")) == num_layers


def test_gru_variants_set_linear_before_reset(onnx_matches):
    for reset_after, flag in [(True, 1), (False, 0)]:
        layer = nn.GRU(I, H, reset_after=reset_after)
        rng = np.random.default_rng(1)
        proto = onnx_matches(layer, lambda s: (rng.standard_normal((s[1], s[0], I))
                                               .astype(np.float32),), SIZES,
                             {"input": {0: "seq", 1: "batch"}})
        gru = [n for n in proto.graph.node if n.op_type == "GRU"][0]
        assert {a.name: a.i for a in gru.attribute}["linear_before_reset"] == flag


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_char_lm_matches_onnxruntime(cell, onnx_matches):
    from gradwise.models.rnn_lm import RNNLanguageModel

    gw.manual_seed(0)
    model = RNNLanguageModel(vocab_size=20, embed_size=8, hidden_size=12, num_layers=2, cell=cell)
    rng = np.random.default_rng(2)
    n_state = 2 if cell == "lstm" else 1
    outs = ["logits", "h_n", "c_n"][:1 + n_state]
    axes = {"tokens": {0: "seq", 1: "batch"}, "logits": {0: "seq", 1: "batch"}}
    axes.update({n: {1: "batch"} for n in outs[1:]})
    onnx_matches(model, lambda s: (rng.integers(0, 20, (s[1], s[0])).astype(np.int64),), SIZES,
                 axes, input_names=["tokens"], output_names=outs)


class Seq2SeqEncoder(nn.Module):
    """Seq2Seq.encode for full-length sources: embedding -> bidirectional GRU -> bridge."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, src):
        m = self.model
        enc, hn = m.encoder(m.dropout(m.src_embed(src)))  # (N, S, K), (2, N, H)
        return enc, gw.tanh(m.bridge(gw.cat([hn[-2], hn[-1]], dim=1)))


def test_seq2seq_encoder_matches_onnxruntime(onnx_matches):
    gw.manual_seed(0)
    model = gw.models.seq2seq(src_vocab_size=20, tgt_vocab_size=20, embedding_dim=8,
                              hidden_size=6)
    rng = np.random.default_rng(3)
    onnx_matches(Seq2SeqEncoder(model),
                 lambda s: (rng.integers(3, 20, s).astype(np.int64),), SIZES,
                 {"src": {0: "batch", 1: "seq"}, "enc": {0: "batch", 1: "seq"},
                  "state": {0: "batch"}}, input_names=["src"], output_names=["enc", "state"])


def test_packed_sequence_is_refused_naming_the_op_and_the_layer():
    import gradwise.onnx as gx
    from gradwise.nn.utils.rnn import pack_padded_sequence

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(I, H)

        def forward(self, x):
            return self.gru(pack_padded_sequence(x, [3, 2]))[1]

    x = gw.tensor(np.zeros((3, 2, I), np.float32))
    with pytest.raises(gx.ExportError, match=r"op 'pack_padded' used by layer <root> \(Packed\) "
                                             r"has no ONNX mapping"):
        gx.export(Packed(), x)
