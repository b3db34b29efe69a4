"""gradwise.load on files written by the installed torch.save (zip and legacy formats)."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import gradwise as gw
from gradwise.serialization import UnsafeFileError

torch.manual_seed(0)


def _torch_bytes(obj, legacy=False):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return io.BytesIO(buf.getvalue())


def _expected(t):
    return (t.float() if t.dtype == torch.bfloat16 else t).detach().numpy()


DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
          torch.int16, torch.int8, torch.uint8, torch.bool]


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_load_reads_every_dtype_of_a_torch_file(dtype, legacy):
    t = (torch.randn(3, 4) * 10).to(dtype)
    out = gw.load(_torch_bytes({"t": t}, legacy))
    assert isinstance(out["t"], gw.Tensor)
    want = _expected(t)
    assert out["t"].shape == (3, 4) and out["t"].dtype == want.dtype
    np.testing.assert_array_equal(out["t"].array, want)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_and_shared_storages_keep_layout_and_share_memory(legacy):
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "col": base[:, 2], "strided": base[::2, 1::3],
           "scalar": base[1, 1], "empty": base[:0], "alias": base}
    out = gw.load(_torch_bytes(obj, legacy))
    for key, t in obj.items():
        np.testing.assert_array_equal(out[key].array, t.numpy(), err_msg=key)
        assert out[key].shape == tuple(t.shape), key
    out["base"].array[0, 2] = -1.0  # one storage in the file -> one memory after loading
    assert out["t"].array[2, 0] == -1.0 and out["col"].array[0] == -1.0
    assert out["alias"].array[0, 2] == -1.0


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_nested_checkpoint_with_optimizer_state_and_plain_values(legacy):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7,
            "losses": [0.5, 0.25], "shape": torch.Size([2, 3]), "name": "lin", "none": None,
            "pair": (1, 2.0), "flags": {True, False}}
    out = gw.load(_torch_bytes(ckpt, legacy), map_location="cpu")
    assert isinstance(out["model"], collections.OrderedDict)
    assert list(out["model"]) == ["weight", "bias"]
    assert out["model"]._metadata == model.state_dict()._metadata
    np.testing.assert_array_equal(out["model"]["weight"].array, model.weight.detach().numpy())
    state = out["optimizer"]["state"][0]
    np.testing.assert_array_equal(state["exp_avg"].array, opt.state[model.weight]["exp_avg"])
    assert float(state["step"].array) == 1.0
    assert out["optimizer"]["param_groups"][0]["lr"] == 0.01
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert (out["epoch"], out["losses"], out["shape"], out["name"]) == (7, [0.5, 0.25], (2, 3),
                                                                        "lin")
    assert out["none"] is None and out["pair"] == (1, 2.0) and out["flags"] == {True, False}


def test_a_saved_parameter_loads_as_a_parameter_with_requires_grad():
    p = torch.nn.Parameter(torch.randn(2, 3))
    out = gw.load(_torch_bytes([p, p.detach().requires_grad_(False)]))
    assert isinstance(out[0], gw.nn.Parameter) and out[0].requires_grad
    assert not isinstance(out[1], gw.nn.Parameter) and not out[1].requires_grad
    np.testing.assert_array_equal(out[0].array, p.detach().numpy())


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.lstm = torch.nn.LSTM(8, 5, batch_first=True)
        self.fc = torch.nn.Linear(5, 3)

    def forward(self, x):  # (N, 3, 4, 4)
        h = torch.relu(self.bn(self.conv(x)))  # (N, 4, 4, 4)
        out, _ = self.lstm(h.reshape(x.shape[0], 8, 8))
        return self.fc(out[:, -1])


class _GwNet(gw.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = gw.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = gw.nn.BatchNorm2d(4)
        self.lstm = gw.nn.LSTM(8, 5, batch_first=True)
        self.fc = gw.nn.Linear(5, 3)

    def forward(self, x):
        h = gw.functional.relu(self.bn(self.conv(x)))
        out, _ = self.lstm(h.reshape(x.shape[0], 8, 8))
        return self.fc(out[:, -1])


def test_torch_model_file_loads_into_the_matching_gradwise_model(tmp_path):
    net = _TorchNet()
    net(torch.randn(6, 3, 4, 4))  # training-mode pass: non-trivial BatchNorm running stats
    net.eval()
    path = tmp_path / "net.pth"
    torch.save(net.state_dict(), path)
    ours = _GwNet()
    result = ours.load_state_dict(gw.load(path, weights_only=True))
    assert not result.missing_keys and not result.unexpected_keys
    ours.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.tensor(x)).numpy()
    got = ours(gw.tensor(x)).array
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=1e-5)  # float32 round-off


def test_bn_num_batches_tracked_is_an_int64_scalar():
    out = gw.load(_torch_bytes(torch.nn.BatchNorm1d(2).state_dict()))
    assert out["num_batches_tracked"].shape == () and out["num_batches_tracked"].dtype == np.int64


# -- refusal -------------------------------------------------------------------------------------
class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):  # unpickling would create a file
        return (open, (self.path, "w"))


class _EvilSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _zip_with(payload):
    """A torch zip archive whose data.pkl is ``payload`` (plus a real tensor storage)."""
    real = _torch_bytes({"w": torch.ones(2)}).getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, payload if name.endswith("data.pkl") else src.read(name))
    return io.BytesIO(out.getvalue())


def test_a_pickle_calling_open_is_refused_and_nothing_runs(tmp_path):
    target = tmp_path / "created_by_pickle"
    payload = pickle.dumps({"w": _Evil(str(target))}, protocol=2)
    with pytest.raises(UnsafeFileError, match=r"(io|builtins)\.open.*nothing was executed"):
        gw.load(_zip_with(payload))
    assert not target.exists()
    with pytest.raises(UnsafeFileError, match=r"(io|builtins)\.open"):
        gw.load(_zip_with(pickle.dumps(_Evil(str(target)), protocol=4)))
    assert not target.exists()


def test_os_system_in_torch_and_legacy_files_is_refused(tmp_path):
    with pytest.raises(UnsafeFileError, match=r"(posix|nt|os)\.system"):
        gw.load(_torch_bytes({"x": _EvilSystem()}))
    with pytest.raises(UnsafeFileError, match=r"(posix|nt|os)\.system"):
        gw.load(_torch_bytes({"x": _EvilSystem()}, legacy=True))


class _Custom:
    def __init__(self):
        self.a = 1


def test_custom_objects_and_object_building_opcodes_are_refused():
    with pytest.raises(UnsafeFileError, match="_Custom"):
        gw.load(_torch_bytes({"obj": _Custom()}))
    # NEWOBJ on an allowed class, and BUILD on a non-dict: refused by opcode
    newobj = b"\x80\x02ccollections\nOrderedDict\n)\x81."
    with pytest.raises(UnsafeFileError, match="NEWOBJ"):
        gw.load(_zip_with(newobj))
    build_on_set = b"\x80\x02c__builtin__\nset\n)R}X\x01\x00\x00\x00aK\x01sb."
    with pytest.raises(UnsafeFileError):
        gw.load(_zip_with(build_on_set))


def test_weights_only_false_still_runs_nothing(tmp_path):
    target = tmp_path / "x"
    with pytest.raises(UnsafeFileError):
        gw.load(_zip_with(pickle.dumps(_Evil(str(target)), protocol=2)), weights_only=False)
    assert not target.exists()


def test_malformed_tensor_records_raise_clear_errors():
    # a view reaching past its 2-element storage
    good = _torch_bytes({"w": torch.ones(2)}).getvalue()
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
    bad = pkl.replace(b"K\x02\x85", b"K\x09\x85", 1)  # size (2,) -> (9,)
    assert bad != pkl
    with pytest.raises(ValueError, match="reaches past its storage"):
        gw.load(_zip_with(bad))


def test_map_location_must_be_the_cpu():
    f = _torch_bytes({"w": torch.ones(2)})
    assert gw.load(f, map_location={"cuda:0": "cpu"})["w"].shape == (2,)
    with pytest.raises(RuntimeError, match="gradwise runs on the CPU"):
        gw.load(_torch_bytes({"w": torch.ones(2)}), map_location="cuda:0")
    with pytest.raises(RuntimeError, match="gradwise runs on the CPU"):
        gw.load(_torch_bytes({"w": torch.ones(2)}), map_location=torch.device("meta"))
    with pytest.raises(TypeError, match="callable map_location"):
        gw.load(_torch_bytes({"w": torch.ones(2)}), map_location=lambda s, loc: s)


def test_a_file_in_no_known_format_is_refused():
    with pytest.raises(ValueError, match="neither a gradwise/safetensors file nor a PyTorch"):
        gw.load(io.BytesIO(b"hello world, not a checkpoint"))


# -- a torchvision ResNet-18 checkpoint (torchvision's module names, written out in torch) ------
class _TorchBasicBlock(torch.nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = torch.nn.Sequential(
                torch.nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class _TorchResNet18(torch.nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(64)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        widths, inplanes = (64, 128, 256, 512), 64
        for i, planes in enumerate(widths):
            stride = 1 if i == 0 else 2
            blocks = [_TorchBasicBlock(inplanes, planes, stride), _TorchBasicBlock(planes, planes, 1)]
            setattr(self, f"layer{i + 1}", torch.nn.Sequential(*blocks))
            inplanes = planes
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def test_a_torch_resnet18_pth_loads_into_models_resnet18(tmp_path):
    net = _TorchResNet18(10)
    net(torch.randn(4, 3, 32, 32))  # non-trivial running statistics
    net.eval()
    path = tmp_path / "resnet18.pth"
    torch.save(net.state_dict(), path)
    model = gw.models.resnet18(num_classes=10)
    model.load_state_dict(gw.load(path))
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(gw.tensor(x)).array, want, atol=1e-4, rtol=1e-4)  # float32


def test_tensors_saved_from_cuda_load_onto_the_cpu():
    good = _torch_bytes({"w": torch.ones(2)}).getvalue()  # the storage _zip_with carries
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
    cuda = pkl.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    assert cuda != pkl
    for map_location in (None, "cpu", {"cuda:0": "cpu"}):
        out = gw.load(_zip_with(cuda), map_location=map_location)
        np.testing.assert_array_equal(out["w"].array, [1.0, 1.0])
