"""Single layers and tensor ops through ONNX Runtime: each a small model exported with a
dynamic batch axis and run at batch sizes 2 and 3 (1e-5 relative, float32)."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import gradwise as gw  # noqa: E402
import gradwise.nn.functional as F  # noqa: E402
from gradwise import nn  # noqa: E402

BATCH = {"input": {0: "batch"}, "output": {0: "batch"}}


def _check(onnx_matches, model, shape, dtype=np.float32):
    gw.manual_seed(0)
    rng = np.random.default_rng(0)
    return onnx_matches(model, lambda n: (rng.standard_normal((n, *shape)).astype(dtype),),
                        (2, 3), BATCH)


LAYERS = {
    "conv2d_groups_dilation": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2,
                                                 groups=2), (4, 9, 9)),
    "conv2d_same_even_kernel": (lambda: nn.Conv2d(3, 4, (2, 4), padding="same"), (3, 7, 8)),
    "conv2d_valid_no_bias": (lambda: nn.Conv2d(3, 4, 3, padding="valid", bias=False),
                             (3, 6, 6)),
    "conv1d_groups_dilation": (lambda: nn.Conv1d(4, 8, 3, stride=2, padding=3, dilation=3,
                                                 groups=4), (4, 17)),
    "conv1d_same": (lambda: nn.Conv1d(3, 5, 4, padding="same"), (3, 10)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                    output_padding=1, groups=2), (4, 5, 5)),
    "conv_transpose2d_dilation": (lambda: nn.ConvTranspose2d(3, 2, 2, stride=3, dilation=2),
                                  (3, 4, 4)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), (4, 7)),
    "max_pool2d_pad_ceil": (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (3, 8, 8)),
    "max_pool2d_dilation": (lambda: nn.MaxPool2d(2, 1, dilation=2), (2, 6, 6)),
    "max_pool1d": (lambda: nn.MaxPool1d(3, 2, padding=1), (3, 9)),
    "avg_pool2d_pad": (lambda: nn.AvgPool2d(3, 2, padding=1), (3, 7, 7)),
    "avg_pool2d_exclude_pad": (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                               (3, 7, 7)),
    "avg_pool2d_ceil": (lambda: nn.AvgPool2d(2, 2, ceil_mode=True), (3, 7, 7)),
    "avg_pool1d": (lambda: nn.AvgPool1d(2), (3, 8)),
    "adaptive_avg_pool2d_global": (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 7)),
    "adaptive_avg_pool2d_uneven": (lambda: nn.AdaptiveAvgPool2d((3, 4)), (3, 7, 5)),
    "adaptive_avg_pool1d": (lambda: nn.AdaptiveAvgPool1d(3), (3, 8)),
    "adaptive_max_pool2d": (lambda: nn.AdaptiveMaxPool2d((2, 3)), (3, 4, 9)),
    "batch_norm2d": (lambda: nn.BatchNorm2d(3), (3, 4, 4)),
    "batch_norm1d_no_affine": (lambda: nn.BatchNorm1d(5, affine=False), (5,)),
    "layer_norm": (lambda: nn.LayerNorm((4, 5)), (3, 4, 5)),
    "local_response_norm": (lambda: nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=2.0),
                            (6, 4, 4)),
    "dropout": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Dropout2d(0.3)), (3, 4, 4)),
    "activations": (lambda: nn.Sequential(nn.ReLU(), nn.Linear(6, 6), nn.LeakyReLU(0.2),
                                          nn.ELU(0.7), nn.Tanh(), nn.Linear(6, 6),
                                          nn.Sigmoid(), nn.Softplus(beta=2.0)), (6,)),
    "gelu": (lambda: nn.Sequential(nn.GELU(), nn.Linear(6, 6), nn.GELU(approximate="tanh")),
             (6,)),
    "softmax": (lambda: nn.Sequential(nn.Linear(5, 5), nn.Softmax(dim=-1)), (5,)),
    "log_softmax": (lambda: nn.Sequential(nn.Linear(5, 5), nn.LogSoftmax(dim=1)), (5,)),
    "linear_3d": (lambda: nn.Linear(4, 3), (5, 4)),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (2, 3, 4)),
    "upsample_nearest_size": (lambda: nn.Upsample(size=(5, 7)), (2, 3, 4)),
    "upsample_bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4)),
    "upsample_bilinear_corners": (lambda: nn.Upsample(size=(5, 9), mode="bilinear",
                                                      align_corners=True), (2, 3, 4)),
    "upsample_linear": (lambda: nn.Upsample(scale_factor=3, mode="linear"), (2, 5)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_onnxruntime(name, onnx_matches):
    build, shape = LAYERS[name]
    model = build()
    for _, b in model.named_buffers():  # non-trivial running statistics
        b.array[...] = np.linspace(0.5, 1.5, b.array.size).reshape(b.shape).astype(b.dtype)
    _check(onnx_matches, model, shape)


class ShapeOps(nn.Module):
    """flatten, reshape, permute, cat, slicing, integer and None indexing, residual add."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 2 * 5, 6)

    def forward(self, x):  # (N, 3, 4, 5)
        y = F.relu(self.conv(x)) + x[:, :1]                  # residual, broadcast over C
        y = y.permute(0, 2, 3, 1)                            # (N, 4, 5, 4)
        y = gw.cat([y[:, ::2], y[:, 1::2] * 0.5 - 1.0], dim=3)  # (N, 2, 5, 8)
        y = y[..., 2:6][:, None].reshape(y.shape[0], -1, 2, 5)  # (N, 4, 2, 5)
        z = self.fc(gw.flatten(y, 1))                        # (N, 6)
        return z[:, -1:] * z[:, 0:3].sum(dim=1, keepdim=True) + z.mean(dim=1)[:, None]


def test_shape_ops_match_onnxruntime(onnx_matches):
    _check(onnx_matches, ShapeOps(), (3, 4, 5))


class Embed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.fc = nn.Linear(4, 2)

    def forward(self, idx):  # (N, T)
        return self.fc(self.emb(idx)).amax(dim=1)


def test_embedding_with_dynamic_batch_and_length(onnx_matches):
    rng = np.random.default_rng(0)
    proto = onnx_matches(Embed(), lambda s: (rng.integers(0, 10, s).astype(np.int64),),
                         [(2, 6), (3, 4)], {"input": {0: "batch", 1: "seq"},
                                            "output": {0: "batch"}})
    assert [n.op_type for n in proto.graph.node][0] == "Gather"


def test_batch_norm_records_onnx_momentum():
    import gradwise.onnx as gx

    proto = gx.export(nn.BatchNorm2d(3, momentum=0.3), gw.tensor(np.ones((1, 3, 2, 2),
                                                                         np.float32)))
    bn = [n for n in proto.graph.node if n.op_type == "BatchNormalization"][0]
    assert {a.name: a.f for a in bn.attribute}["momentum"] == pytest.approx(0.7)


def test_export_restores_training_mode_and_writes_a_file(tmp_path):
    import onnx

    import gradwise.onnx as gx

    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    model.train()
    gx.export(model, gw.tensor(np.ones((2, 3), np.float32)), tmp_path / "m.onnx")
    assert model.training and model[1].training
    assert onnx.load(tmp_path / "m.onnx").graph.node[0].op_type == "Gemm"


def test_unmapped_op_names_the_op_and_the_nested_layer():
    import gradwise.onnx as gx

    model = nn.Sequential(nn.Linear(3, 3))
    model.head = nn.Bilinear(3, 3, 2)
    model.forward = lambda x: model.head(model[0](x), x)
    with pytest.raises(gx.ExportError, match=r"op 'bilinear' used by layer head \(Bilinear\) "
                                             r"has no ONNX mapping"):
        gx.export(model, gw.tensor(np.ones((2, 3), np.float32)))


def test_circular_padding_needs_opset_19():
    import gradwise.onnx as gx

    class Circ(nn.Module):
        def forward(self, x):
            return F.pad(x, (1, 1), mode="circular")

    with pytest.raises(gx.ExportError, match=r"op 'pad' .*'circular' needs opset 19"):
        gx.export(Circ(), gw.tensor(np.ones((1, 2, 4), np.float32)))


class Reductions(nn.Module):
    def forward(self, x):  # (N, 4, 5)
        y = F.gelu(x) + x.amax(dim=2, keepdim=True) - x.mean(dim=(1, 2), keepdim=True)
        return gw.log_softmax(y.sum(dim=1), dim=-1)


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_reductions_and_gelu_at_several_opsets(opset):
    import onnx
    import onnxruntime as ort

    import gradwise.onnx as gx

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    proto = gx.export(Reductions(), gw.tensor(x), opset_version=opset, dynamic_axes=BATCH)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset
    assert ("Gelu" in {n.op_type for n in proto.graph.node}) == (opset >= 20)
    session = ort.InferenceSession(proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    for n in (2, 3):
        xn = rng.standard_normal((n, 4, 5)).astype(np.float32)
        with gw.no_grad():
            expected = Reductions()(gw.tensor(xn)).numpy()
        np.testing.assert_allclose(session.run(None, {"input": xn})[0], expected, rtol=1e-5,
                                   atol=1e-6)


def test_a_tensor_made_outside_the_ops_is_frozen_with_a_warning():
    import gradwise.onnx as gx

    class Untraced(nn.Module):
        def forward(self, x):
            return x + gw.tensor(x.numpy().mean(axis=0))  # the mean leaves the traced ops

    with pytest.warns(UserWarning, match=r"1 Tensor\(s\) not computed by traced ops"):
        gx.export(Untraced(), gw.tensor(np.ones((2, 3), np.float32)))


class SeqSlices(nn.Module):
    """Slices and negative indices along a dynamic sequence axis follow its run-time length."""

    def forward(self, x):  # (N, T, 4)
        last = x[:, -1]                                      # (N, 4)
        tail = x[:, 1:].sum(dim=1) + x[:, ::-2].mean(dim=1)  # (N, 4)
        head = x[:, :-1, None, 1:3].reshape(x.shape[0], x.shape[1] - 1, 2)  # (N, T-1, 2)
        return last * tail, head.amax(dim=1)


def test_slices_follow_a_dynamic_sequence_axis(onnx_matches):
    rng = np.random.default_rng(0)
    onnx_matches(SeqSlices(), lambda s: (rng.standard_normal((*s, 4)).astype(np.float32),),
                 [(2, 5), (3, 8)], {"x": [0, 1]}, input_names=["x"])  # torch's list form


class Bmm(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))

    def forward(self, x):  # (N, 5, 4)
        scores = gw.matmul(x, x.transpose(1, 2))            # (N, 5, 5)
        return gw.matmul(gw.softmax(scores, dim=-1), gw.matmul(x, self.w))  # (N, 5, 3)


def test_batched_matmul_with_dynamic_batch(onnx_matches):
    _check(onnx_matches, Bmm(), (5, 4))
