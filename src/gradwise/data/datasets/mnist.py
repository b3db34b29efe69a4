"""MNIST and Fashion-MNIST, read from the original IDX ``.gz`` files.

IDX format: big-endian magic ``0x00000803`` (images, dims N, 28, 28) or ``0x00000801`` (labels,
dim N), then the uint8 data. Files live in ``<root>/mnist/`` and ``<root>/fashion-mnist/``.
"""
from __future__ import annotations

import gzip
import struct

import numpy as np

from ...core import Tensor
from ..dataset import Dataset, TensorDataset
from ._files import find_file

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")


def read_idx(path) -> np.ndarray:
    """Parse an IDX file (``.gz`` or raw) into a uint8 array of the dims in its header."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"read_idx: {path} is not an IDX file of unsigned bytes (bad magic {raw[:4]!r})")
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(dims)):
        raise ValueError(
            f"read_idx: {path} header says dims {dims} ({int(np.prod(dims))} bytes) but holds "
            f"{len(raw) - offset} bytes of data"
        )
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims)


def _load(folder, split, root, download, verify):
    if split not in _FILES:
        raise ValueError(f"{folder}: split should be 'train' or 'test', got {split!r}")
    image_name, label_name = _FILES[split]
    images = read_idx(find_file(folder, image_name, root, download, verify))
    labels = read_idx(find_file(folder, label_name, root, download, verify)).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"{folder}: images {images.shape} and labels {labels.shape} do not match")
    return images, labels


def load_mnist(split="train", root=None, download=False, verify=True):
    """MNIST digits.

    Returns:
        images uint8 (N, 28, 28), labels int64 (N,); N = 60000 (train) or 10000 (test).
    """
    return _load("mnist", split, root, download, verify)


def load_fashion_mnist(split="train", root=None, download=False, verify=True):
    """Fashion-MNIST (same format as MNIST; class names in ``FASHION_CLASSES``).

    Returns:
        images uint8 (N, 28, 28), labels int64 (N,); N = 60000 (train) or 10000 (test).
    """
    return _load("fashion-mnist", split, root, download, verify)


class MNIST(Dataset):
    """MNIST as a Dataset: item i is ``(image uint8 (28, 28), label int)``, or
    ``transform(image), label`` when a transform is given.

    Args:
        root: data root (see ``gradwise.data.datasets``); split: ``"train"`` or ``"test"``;
        transform: optional callable applied to each image; download / verify: as ``find_file``.

    Attributes: ``data`` uint8 (N, 28, 28), ``targets`` int64 (N,), ``classes``.
    """

    folder = "mnist"
    classes = tuple(str(d) for d in range(10))

    def __init__(self, root=None, split="train", transform=None, download=False, verify=True):
        self.split, self.transform = split, transform
        self.data, self.targets = _load(self.folder, split, root, download, verify)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        image = self.data[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def tensor_dataset(self, dtype=np.float32, scale=True) -> TensorDataset:
        """All images as one TensorDataset: x (N, 1, 28, 28) in [0, 1] (if ``scale``), y int64 (N,).

        The fast path for training: the DataLoader gathers whole batches by fancy indexing.
        """
        x = self.data.astype(dtype)[:, None]  # (N, 1, 28, 28)
        if scale:
            x /= 255
        return TensorDataset(Tensor(x), Tensor(self.targets))


class FashionMNIST(MNIST):
    """Fashion-MNIST as a Dataset (see MNIST)."""

    folder = "fashion-mnist"
    classes = FASHION_CLASSES
