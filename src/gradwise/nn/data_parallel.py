"""DataParallel on one CPU process: a transparent wrapper, as PyTorch's is without GPUs."""
from __future__ import annotations

from .module import Module


class DataParallel(Module):
    """Wrap ``module`` so that code written for ``nn.DataParallel`` runs unchanged.

    PyTorch's DataParallel splits the batch along ``dim`` over the GPUs in ``device_ids``; with
    no GPU it calls the module directly. gradwise runs on the CPU only, so ``forward`` is always
    ``self.module(*inputs, **kwargs)``: outputs and gradients are those of the wrapped module.
    ``state_dict()`` keys start with ``module.`` like PyTorch's, so checkpoints saved from a
    wrapped torch model load here (and vice versa); load a plain model's state into
    ``dp.module``. For training on several processes use ``nn.parallel.DistributedDataParallel``.

    Args:
        module: the model; ``self.module`` afterwards.
        device_ids: None or [] (CPU); GPU ids are rejected.
        output_device: None (CPU).
        dim: the batch dimension PyTorch would scatter along (stored, default 0).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected a Module, got {type(module).__name__}")
        if device_ids:
            raise ValueError(f"DataParallel: gradwise runs on the CPU, expected device_ids None "
                             f"or [], got {device_ids!r}")
        if output_device is not None:
            raise ValueError(f"DataParallel: gradwise runs on the CPU, expected output_device "
                             f"None, got {output_device!r}")
        if not isinstance(dim, int):
            raise TypeError(f"DataParallel: expected an int dim, got {type(dim).__name__}")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
