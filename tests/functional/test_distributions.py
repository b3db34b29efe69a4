"""Categorical, Bernoulli, Normal and kl_divergence against torch.distributions: log_prob and
entropy values and gradients (float64), sampling statistics, rsample's gradient."""
import numpy as np
import pytest
import torch
import torch.distributions as TD
from helpers import compare_with_torch

import gradwise as gw
import gradwise.distributions as D


def test_categorical_log_prob_and_entropy_match_torch_from_logits_and_probs(rng):
    logits, probs = rng.standard_normal((3, 5)), rng.uniform(0.1, 1.0, (3, 5))
    k = np.array([0, 4, 2])
    compare_with_torch(lambda l: D.Categorical(logits=l).log_prob(gw.tensor(k)),
                       lambda l: TD.Categorical(logits=l).log_prob(torch.tensor(k)), [logits])
    compare_with_torch(lambda l: D.Categorical(logits=l).entropy(),
                       lambda l: TD.Categorical(logits=l).entropy(), [logits])
    compare_with_torch(lambda p: D.Categorical(probs=p).log_prob(gw.tensor(k)),
                       lambda p: TD.Categorical(probs=p).log_prob(torch.tensor(k)), [probs])
    compare_with_torch(lambda p: D.Categorical(probs=p).entropy(),
                       lambda p: TD.Categorical(probs=p).entropy(), [probs])


def test_categorical_samples_follow_the_probabilities():
    gw.manual_seed(0)
    s = D.Categorical(probs=gw.tensor([0.1, 0.0, 0.9])).sample((5000,))
    counts = np.bincount(s.array, minlength=3)
    assert s.shape == (5000,) and s.dtype == np.int64 and counts[1] == 0
    assert abs(counts[2] / 5000 - 0.9) < 0.02
    assert D.Categorical(logits=gw.zeros(4, 3)).sample().shape == (4,)


def test_bernoulli_log_prob_and_entropy_match_torch(rng):
    logits, probs = rng.standard_normal(6), rng.uniform(0.05, 0.95, 6)
    v = (rng.random(6) > 0.5).astype(np.float64)
    compare_with_torch(lambda l: D.Bernoulli(logits=l).log_prob(gw.tensor(v)),
                       lambda l: TD.Bernoulli(logits=l).log_prob(torch.tensor(v)), [logits])
    compare_with_torch(lambda l: D.Bernoulli(logits=l).entropy(),
                       lambda l: TD.Bernoulli(logits=l).entropy(), [logits])
    compare_with_torch(lambda p: D.Bernoulli(probs=p).log_prob(gw.tensor(v)),
                       lambda p: TD.Bernoulli(probs=p).log_prob(torch.tensor(v)), [probs],
                       atol=1e-9)
    gw.manual_seed(1)
    draws = D.Bernoulli(probs=gw.full((4000,), 0.3)).sample()
    assert set(np.unique(draws.array)) <= {0.0, 1.0} and abs(draws.array.mean() - 0.3) < 0.03


def test_normal_log_prob_entropy_and_kl_match_torch(rng):
    loc, scale, v = rng.standard_normal(5), rng.uniform(0.5, 2.0, 5), rng.standard_normal(5)
    compare_with_torch(lambda m, s: D.Normal(m, s).log_prob(gw.tensor(v)),
                       lambda m, s: TD.Normal(m, s).log_prob(torch.tensor(v)), [loc, scale])
    compare_with_torch(lambda m, s: D.Normal(m, s).entropy(),
                       lambda m, s: TD.Normal(m, s).entropy(), [loc, scale])
    compare_with_torch(
        lambda m, s: D.kl_divergence(D.Normal(m, s), D.Normal(gw.zeros(5, dtype=gw.float64),
                                                              gw.ones(5, dtype=gw.float64))),
        lambda m, s: TD.kl_divergence(TD.Normal(m, s), TD.Normal(torch.zeros(5, dtype=torch.float64),
                                                                 torch.ones(5, dtype=torch.float64))),
        [loc, scale])


def test_normal_rsample_is_differentiable_and_sample_is_not():
    gw.manual_seed(0)
    loc = gw.tensor([1.0, -2.0], requires_grad=True)
    scale = gw.tensor([0.5, 2.0], requires_grad=True)
    z = D.Normal(loc, scale).rsample((3000,))
    z.sum().backward()
    np.testing.assert_allclose(loc.grad.array, [3000, 3000])
    eps = (z.array - loc.array) / scale.array
    np.testing.assert_allclose(scale.grad.array, eps.sum(0), rtol=1e-5)
    assert abs(z.array[:, 0].mean() - 1.0) < 0.05 and abs(z.array[:, 1].std() - 2.0) < 0.1
    assert not D.Normal(loc, scale).sample().requires_grad


def test_distributions_refuse_both_or_neither_parameter():
    with pytest.raises(ValueError, match="Categorical: either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="Bernoulli: either `probs` or `logits`"):
        D.Bernoulli(probs=gw.ones(1), logits=gw.ones(1))


def test_torch_import_paths_for_distributions():
    import gradwise.distributions.kl as kl

    assert kl.kl_divergence is D.kl_divergence and gw.distributions.Normal is D.Normal
