"""Embedding: a lookup table of learnable vectors, PyTorch's ``nn.Embedding``."""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.checks import check_nonnegative_int
from ..core.dtype import get_default_dtype
from ..core.tensor import Tensor
from ..functional.embedding import check_padding_idx
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """Map integer indices to rows of ``weight``.

    Args:
        num_embeddings: vocabulary size.
        embedding_dim: size of each vector.
        padding_idx: this row is initialised to zeros and never receives gradient (negative
            values count from the end, as in PyTorch).
        max_norm: if given, looked-up rows with norm above it are renormalised in place.
        norm_type: the p of the p-norm for max_norm (default 2).
        scale_grad_by_freq: scale gradients by the inverse frequency of each index in the batch.
        sparse: must be False (dense gradients only).
        _weight: an initial weight array (used by ``from_pretrained``).
        _freeze: create the weight with requires_grad=False.

    Shape:
        input (*) integer -> output (*, embedding_dim)

    Parameters:
        weight (num_embeddings, embedding_dim): N(0, 1), with the padding row zeroed.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        check_nonnegative_int("Embedding", num_embeddings=num_embeddings,
                              embedding_dim=embedding_dim)
        padding_idx = check_padding_idx("Embedding", padding_idx, num_embeddings)
        if sparse:
            raise ValueError("Embedding: sparse=True is not supported (gradwise has dense "
                             "gradients only)")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = _weight.array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if w.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {w.shape}")
            self.weight = Parameter(w, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D array or Tensor; memory is shared,
        as in PyTorch). ``freeze=True`` (default) keeps it fixed during training."""
        w = embeddings.array if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
                   _weight=w, _freeze=freeze)
