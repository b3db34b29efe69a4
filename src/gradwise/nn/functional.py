"""``gradwise.nn.functional``: the functional ops under PyTorch's path, so that

    import gradwise.nn.functional as F

works as ``import torch.nn.functional as F`` does. Every name is ``gradwise.functional``'s.
"""
from ..functional import *  # noqa: F401,F403 (re-export)
