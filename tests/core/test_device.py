"""Devices: the CPU is accepted everywhere PyTorch takes a device; anything else raises one
clear DeviceError naming the op."""
import numpy as np
import pytest

import gradwise as gw
from gradwise.core.device import DeviceError


def test_device_cpu_forms_are_equal_and_print_like_torch():
    assert gw.device("cpu") == gw.device(gw.device("cpu")) == "cpu"
    assert repr(gw.device("cpu")) == "device(type='cpu')"
    assert repr(gw.device("cpu", 0)) == "device(type='cpu', index=0)"
    assert gw.device("cpu:0") == gw.device("cpu", 0) and str(gw.device("cpu:0")) == "cpu:0"
    assert hash(gw.device("cpu")) == hash(gw.device("cpu"))


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "mps", 0])
def test_device_refuses_accelerators_with_one_message(spec):
    with pytest.raises(DeviceError, match="gradwise runs on the CPU"):
        gw.device(spec)


def test_device_refuses_unknown_strings():
    with pytest.raises(ValueError, match="device: expected one of cpu"):
        gw.device("gpu")


def test_accelerator_and_cuda_queries_answer_for_a_cpu_build():
    assert gw.accelerator.is_available() is False and gw.accelerator.current_accelerator() is None
    assert gw.cuda.is_available() is False and gw.cuda.device_count() == 0
    gw.cuda.manual_seed_all(0)  # ignored without CUDA, as in PyTorch
    assert gw.backends.mps.is_available() is False
    import gradwise.backends.cudnn as cudnn

    cudnn.benchmark = True
    assert gw.backends.cudnn.benchmark is True
    cudnn.benchmark = False


def test_the_usual_device_idiom_selects_the_cpu():
    device = gw.device("cuda" if gw.cuda.is_available() else "cpu")
    model = gw.nn.Linear(3, 2).to(device)
    x = gw.randn(4, 3, device=device).to(device)
    assert model(x).device == device


@pytest.mark.parametrize("make", [
    lambda: gw.zeros(2).to("cuda"), lambda: gw.zeros(2).to(device="mps"), lambda: gw.zeros(2).cuda(),
    lambda: gw.nn.Linear(2, 3).to("cuda"), lambda: gw.nn.Linear(2, 3).cuda(),
    lambda: gw.nn.Linear(2, 3).to(device="cuda:1"), lambda: gw.nn.Linear(2, 3, device="cuda"),
    lambda: gw.nn.Conv2d(1, 2, 3, device="cuda"), lambda: gw.nn.LSTM(2, 3, device="cuda"),
    lambda: gw.nn.LSTMCell(2, 3, device="mps"), lambda: gw.nn.Embedding(5, 2, device="cuda"),
    lambda: gw.nn.BatchNorm2d(3, device="cuda"), lambda: gw.nn.LayerNorm(3, device="cuda"),
    lambda: gw.zeros(2, device="cuda"), lambda: gw.randn(2, device="cuda"),
    lambda: gw.tensor([1.0], device="cuda"), lambda: gw.arange(3, device="cuda"),
    lambda: gw.full((2,), 1.0, device="cuda"), lambda: gw.randn_like(gw.zeros(1), device="cuda"),
    lambda: gw.zeros(1).new_zeros(2, device="cuda"), lambda: gw.Generator("cuda"),
])
def test_every_device_argument_refuses_accelerators(make):
    with pytest.raises(DeviceError, match=r"device '(cuda|mps)(:\d)?' requested, but gradwise "
                                          r"runs on the CPU"):
        make()


def test_device_arguments_accept_the_cpu_everywhere():
    assert gw.nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)
    assert gw.nn.LSTM(2, 3, device=gw.device("cpu")).hidden_size == 3
    assert gw.zeros(2, device="cpu").shape == (2,)
    assert gw.tensor([1.0, 2.0], device="cpu").dtype == np.float32


def test_a_users_module_keeps_its_own_device_argument():
    class Model(gw.nn.Module):
        def __init__(self, device):
            super().__init__()
            self.device_name = device

    assert Model("my-accelerator").device_name == "my-accelerator"
