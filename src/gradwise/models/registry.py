"""Model registry: builder functions registered by name, ``create(name, **kwargs)``.

Every zoo model is a ``Module`` built from a dataclass config; its builder function has
torchvision's name and signature (``resnet18(*, weights=None, progress=True, **kwargs)``) and is
registered here, so that ``gw.models.create("resnet18", num_classes=10)`` and
``gw.models.resnet18(num_classes=10)`` build the same model.
"""
from __future__ import annotations

from typing import Callable

_MODELS: dict[str, Callable] = {}


def register(fn=None, *, name: str | None = None):
    """Decorator: register a builder under ``name`` (default: the function's name).

    Usable bare (``@register``) or with a name (``@register(name="lenet5")``).
    """
    def deco(f):
        key = name or f.__name__
        if key in _MODELS and _MODELS[key] is not f:
            raise ValueError(f"register: a model named {key!r} is already registered")
        _MODELS[key] = f
        return f

    return deco(fn) if fn is not None else deco


def create(name: str, **kwargs):
    """Build the registered model ``name`` with keyword arguments (e.g. ``num_classes=10``)."""
    if name not in _MODELS:
        raise ValueError(f"create: unknown model {name!r}; available: {', '.join(list_models())}")
    return _MODELS[name](**kwargs)


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    return sorted(_MODELS)


def get_model_builder(name: str) -> Callable:
    """The builder function registered as ``name``."""
    if name not in _MODELS:
        raise ValueError(f"get_model_builder: unknown model {name!r}")
    return _MODELS[name]


def load_weights(model, weights):
    """Apply a builder's ``weights=`` argument: None, or a state_dict (mapping of arrays).

    gradwise ships no pretrained files and has no network access; pass a state_dict converted
    from torchvision (``{k: v.numpy() for k, v in tv_model.state_dict().items()}``). It is
    loaded with ``strict=True``.
    """
    if weights is None:
        return model
    if not hasattr(weights, "keys"):
        raise ValueError(f"weights: expected None or a state_dict mapping, got "
                         f"{type(weights).__name__} (no pretrained downloads in gradwise)")
    model.load_state_dict(weights, strict=True)
    return model
