"""Dtypes are NumPy dtypes; the default floating dtype is float32, as in PyTorch."""
import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
half, float, double, long, int = float16, float32, float64, int64, int32  # noqa: A001 (torch aliases)

_default = [float32]


def get_default_dtype() -> np.dtype:
    return _default[0]


def set_default_dtype(dtype) -> None:
    """Set the dtype of new floating tensors (float32 or float64)."""
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 are supported, got {dtype}")
    _default[0] = dtype


def infer_array(data, dtype=None) -> np.ndarray:
    """Array for ``data`` as gw.tensor would store it: Python floats take the default dtype,
    Python ints int64, bools bool, NumPy arrays keep their dtype unless ``dtype`` is given."""
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(get_default_dtype())
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    return arr
