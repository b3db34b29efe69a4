"""Ensembles of classifiers: the mean of the members' class probabilities,

    log p(y | x) = log (1/K) Σ_k softmax(f_k(x))_y = logsumexp_k log_softmax(f_k(x))_y − log K

returned as log-probabilities, which act as logits: softmax and cross-entropy of them give the
ensemble's probabilities and negative log-likelihood, argmax its prediction.
"""
from __future__ import annotations

import math

from .. import functional as F
from .. import nn


class Ensemble(nn.Module):
    """Average the class probabilities (last axis) of models that take the same inputs."""

    def __init__(self, members):
        super().__init__()
        members = list(members)
        if not members:
            raise ValueError("Ensemble: expected at least one member model, got none")
        self.members = nn.ModuleList(members)

    def forward(self, *args, **kwargs):
        logp = F.stack([F.log_softmax(m(*args, **kwargs), -1) for m in self.members])
        return F.logsumexp(logp, 0) - math.log(len(self.members))
