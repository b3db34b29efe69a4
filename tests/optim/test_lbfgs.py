"""LBFGS: the same iterates as torch.optim.LBFGS (float64), its stopping rules and errors."""
import numpy as np
import pytest
import torch

import gradwise as gw


def _rosenbrock(lib, p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.5, "max_iter": 5, "history_size": 3}])
def test_lbfgs_iterates_match_torch_on_rosenbrock(kwargs):
    start = np.array([-1.5, 2.0])
    ours, theirs = gw.tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(),
                                                                            requires_grad=True)
    opt_g, opt_t = gw.optim.LBFGS([ours], **kwargs), torch.optim.LBFGS([theirs], **kwargs)
    for _ in range(2):  # Rosenbrock is chaotic for L-BFGS: torch vs torch from a start 1e-15
        # apart differ by 3e-11 after 2 steps and 7e-5 after 4
        for p, opt, lib in ((ours, opt_g, gw), (theirs, opt_t, torch)):
            def closure():
                opt.zero_grad()
                loss = _rosenbrock(lib, p)
                loss.backward()
                return loss
            opt.step(closure)
        np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-9, atol=1e-9)
    assert opt_g.state[ours]["func_evals"] == opt_t.state[theirs]["func_evals"]
    assert opt_g.state[ours]["n_iter"] == opt_t.state[theirs]["n_iter"]


def test_lbfgs_fits_a_least_squares_problem_over_several_tensors(rng):
    a, b = rng.standard_normal((20, 3)), rng.standard_normal(20)
    w, c = gw.zeros(3, dtype=gw.float64, requires_grad=True), gw.zeros(1, dtype=gw.float64,
                                                                      requires_grad=True)
    opt = gw.optim.LBFGS([w, c], max_iter=50)
    A, B = gw.tensor(a), gw.tensor(b)

    def closure():
        opt.zero_grad()
        loss = ((A @ w + c - B) ** 2).mean()
        loss.backward()
        return loss
    opt.step(closure)
    design = np.hstack([a, np.ones((20, 1))])
    best = np.linalg.lstsq(design, b, rcond=None)[0]
    np.testing.assert_allclose(np.concatenate([w.array, c.array]), best, atol=1e-6)


def test_lbfgs_returns_at_once_when_the_gradient_is_zero():
    p = gw.tensor([1.0], requires_grad=True)
    opt = gw.optim.LBFGS([p])

    def closure():
        opt.zero_grad()
        loss = ((p - 1.0) ** 2).sum()
        loss.backward()
        return loss
    assert float(opt.step(closure)) == 0.0 and opt.state[p]["func_evals"] == 1


def test_lbfgs_refuses_groups_missing_closure_and_line_search():
    p = gw.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        gw.optim.LBFGS([{"params": [p]}, {"params": [gw.zeros(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="a closure that re-evaluates the loss is required"):
        gw.optim.LBFGS([p]).step(None)
    with pytest.raises(NotImplementedError, match="strong_wolfe"):
        gw.optim.LBFGS([p], line_search_fn="strong_wolfe")
