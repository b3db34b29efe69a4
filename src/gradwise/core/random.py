"""The library RNG: one NumPy Generator, seeded by ``manual_seed``, that rand/randn/randint,
init and dropout draw from. The tensor factories, samplers included, live in ``factories.py``."""
from __future__ import annotations

import numpy as np

_rng = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library RNG used by rand/randn/randint, init and dropout."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def default_generator() -> np.random.Generator:
    return _rng[0]


def get_rng_state() -> dict:
    return _rng[0].bit_generator.state


def set_rng_state(state: dict) -> None:
    _rng[0].bit_generator.state = state
