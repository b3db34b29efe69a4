"""Flatten parameters into one vector and back (PyTorch's ``nn.utils.parameters_to_vector`` and
``vector_to_parameters``), e.g. for second-order methods, evolution strategies or weight
averaging."""
from __future__ import annotations

from ...core import Tensor
from ...functional import cat, reshape


def _tensors(owner, parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: expected Tensors, got {type(p).__name__} at position {i}")
    return parameters


def parameters_to_vector(parameters):
    """Concatenate the flattened parameters into one 1-D tensor.

    The result is built with differentiable ops, so a loss of it back-propagates into the
    parameters, as in PyTorch.

    Args:
        parameters: an iterable of Tensors (e.g. ``model.parameters()``) or one Tensor.

    Shape:
        parameters p₁ (any), p₂ (any), ... -> (Σ numel(pᵢ),)

    Returns:
        The 1-D Tensor ``cat([p₁.reshape(-1), p₂.reshape(-1), ...])``.
    """
    parameters = _tensors("parameters_to_vector", parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return cat([reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy slices of ``vec`` into the parameters, in order (the inverse of
    :func:`parameters_to_vector`).

    Each parameter's values become a view of its slice of ``vec`` (as PyTorch's
    ``param.data = vec[i:j].view_as(param).data``), bumping its version; autograd does not
    record the assignment. Elements past the last parameter are ignored, as in PyTorch.

    Args:
        vec: a 1-D Tensor with at least Σ numel(pᵢ) elements.
        parameters: an iterable of Tensors or one Tensor.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vec, got shape {vec.shape}")
    parameters = _tensors("vector_to_parameters", parameters)
    total = sum(p.numel() for p in parameters)
    if vec.shape[0] < total:
        raise ValueError(f"vector_to_parameters: the parameters need {total} values, vec has "
                         f"{vec.shape[0]}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec.array[pointer:pointer + n].reshape(p.shape)
        pointer += n
