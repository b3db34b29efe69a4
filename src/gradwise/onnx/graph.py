"""The ONNX graph under construction: value names, initializers, nodes and symbolic shapes.

Every traced Tensor gets one ONNX value name. A shape is kept symbolically next to it: each
dim is an int, or a string naming the dynamic axis it follows ("batch", "seq", ...), so that a
reshape or expand recorded with the traced sizes can be written with 0 / -1 / 1 where a size
must follow the input at run time.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..core.tensor import Tensor


class Graph:
    """Nodes and initializers of one exported model.

    Args:
        opset: the ONNX opset the nodes are written for.
        param_names: id(Tensor) and id(ndarray) of the model's parameters and buffers -> their
            state_dict names (initializers keep those names).
    """

    def __init__(self, opset: int, param_names: dict):
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.param_names = param_names
        self.names = {}      # id(Tensor) or id(ndarray) -> value name
        self.shapes = {}     # value name -> symbolic shape
        self.keep = []       # traced objects kept alive, so that their ids stay unique
        self._init_names = set()
        self.frozen = []     # shapes of untraced Tensors written as constants
        self._count = 0

    # -- names ---------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def bind(self, tensor, name: str, shape) -> None:
        """Record that ``tensor`` (a Tensor) is the ONNX value ``name`` with symbolic ``shape``."""
        self.names[id(tensor)] = name
        self.names[id(tensor.array)] = name
        self.keep.append(tensor)
        self.shapes[name] = tuple(shape)

    def lookup(self, x):
        """The value name of a traced Tensor or of the array behind one, else None."""
        name = self.names.get(id(x))
        if name is None and isinstance(x, Tensor):  # e.g. t.data: a new Tensor, same array
            name = self.names.get(id(x.array))
        return name

    def value(self, x, dtype=None) -> str:
        """The value name for an op input: a traced value, a parameter, or a new constant.

        Python scalars become constants of ``dtype`` (the other operand's dtype).
        """
        name = self.lookup(x)
        if name is not None:
            return name
        array = x.array if isinstance(x, Tensor) else x
        pname = self.param_names.get(id(x), self.param_names.get(id(array)))
        if pname is not None and isinstance(array, np.ndarray):
            return self.initializer(np.asarray(array, order="C"), pname, x)
        if not isinstance(array, np.ndarray):
            array = np.asarray(array, dtype=dtype)
        if isinstance(x, Tensor):  # made outside apply_op: its value is fixed from now on
            self.frozen.append(tuple(array.shape))
        return self.const(array)

    def initializer(self, array: np.ndarray, name: str, owner=None) -> str:
        if name not in self._init_names:
            self._init_names.add(name)
            self.initializers.append(numpy_helper.from_array(array, name))
            self.shapes[name] = array.shape
        if owner is not None:
            self.names[id(owner)] = name
            self.keep.append(owner)
        return name

    def const(self, array, hint: str = "const") -> str:
        """A new initializer holding ``array``."""
        array = np.asarray(array, order="C")  # (not ascontiguousarray: that makes 0-d 1-d)
        return self.initializer(array, self.fresh(hint))

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64), "ints")

    # -- nodes ---------------------------------------------------------------------------------
    def node(self, op_type: str, inputs, outputs=1, shape=None, **attrs):
        """Append a node; ``outputs`` is a count or a list of names. Returns the output name(s).

        ``shape`` (a symbolic shape) is recorded for the first output.
        """
        if isinstance(outputs, int):
            outputs = [self.fresh(op_type.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, [i or "" for i in inputs], outputs,
                                           name=self.fresh(op_type), **attrs))
        if shape is not None:
            self.shapes[outputs[0]] = tuple(shape)
        return outputs[0] if len(outputs) == 1 else outputs

    def shape_of(self, x):
        return self.shapes[self.value(x)] if not isinstance(x, str) else self.shapes[x]


def tensor_type(name: str, dtype, shape) -> onnx.ValueInfoProto:
    """A value_info with int dims as dim_value and string (dynamic) dims as dim_param."""
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return helper.make_tensor_value_info(name, elem, [d if isinstance(d, str) else int(d)
                                                      for d in shape])
