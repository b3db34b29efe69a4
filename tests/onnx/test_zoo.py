"""Every zoo model exports, passes the ONNX checker and runs in ONNX Runtime at two batch
sizes (a dynamic batch axis) with gradwise's outputs within 1e-5 relative in float32."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import gradwise as gw  # noqa: E402

BATCH = {"input": {0: "batch"}, "output": {0: "batch"}}

# smallest inputs the architectures accept; widths reduced only where the config has a knob
IMAGE_MODELS = {
    "lenet5": ((1, 32, 32), {}),
    "alexnet": ((3, 63, 63), {"num_classes": 10}),
    "vgg11": ((3, 32, 32), {"num_classes": 10}),
    "googlenet": ((3, 32, 32), {"num_classes": 10}),
    "inception_v3": ((3, 75, 75), {"num_classes": 10}),
    "resnet18": ((3, 32, 32), {"num_classes": 10}),
    "resnet50": ((3, 32, 32), {"num_classes": 10}),
    "resnet20": ((3, 32, 32), {}),
    "densenet121": ((3, 32, 32), {"num_classes": 10}),
    "alphago_policy": ((48, 9, 9), {"filters": 32, "board_size": 9}),
    "highway": ((784,), {}),
}




def narrow_classifier(model, width=256):
    """AlexNet's and VGG's 4096-wide FC layers at ``width``: the same layers and ops, a 240 /
    530 MB model shrunk to a few MB so that export, check and ONNX Runtime stay fast."""
    layers = model.classifier
    linears = [i for i, m in enumerate(layers) if isinstance(m, gw.nn.Linear)]
    for k, i in enumerate(linears):
        old = layers[i]
        n_in = old.in_features if k == 0 else width
        n_out = old.out_features if k == len(linears) - 1 else width
        layers[i] = gw.nn.Linear(n_in, n_out)
    return model


@pytest.mark.parametrize("name", sorted(IMAGE_MODELS))
def test_zoo_model_matches_onnxruntime_at_two_batch_sizes(name, onnx_matches, he_init):
    shape, kwargs = IMAGE_MODELS[name]
    model = gw.models.create(name, **kwargs)
    if name in ("alexnet", "vgg11"):
        model = narrow_classifier(model)
    model = he_init(model)
    rng = np.random.default_rng(1)
    proto = onnx_matches(model, lambda n: (rng.standard_normal((n, *shape)).astype(np.float32),),
                         sizes=(2, 3), dynamic_axes=BATCH)
    names = {i.name for i in proto.graph.initializer}
    assert names & set(dict(model.named_parameters()))  # weights keep their state_dict names


def test_textcnn_matches_at_two_batch_sizes_and_lengths(onnx_matches, he_init):
    model = he_init(gw.models.textcnn(vocab_size=50, embedding_dim=16, num_filters=8))
    rng = np.random.default_rng(2)
    sizes = [(2, 12), (3, 7)]
    proto = onnx_matches(model, lambda s: (rng.integers(0, 50, s).astype(np.int64),),
                         sizes=sizes, dynamic_axes={"input": {0: "batch", 1: "seq"},
                                                    "output": {0: "batch"}})
    assert "Gather" in {n.op_type for n in proto.graph.node}
