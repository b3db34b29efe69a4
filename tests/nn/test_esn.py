import numpy as np
import pytest

from gradwise.nn.esn import EchoStateNetwork, ridge_regression, sparse_reservoir, spectral_radius

try:
    from gradwise.data.datasets import mackey_glass
except ImportError:  # the data helper's generator; same Euler scheme (Jaeger 2001)
    def mackey_glass(length, tau=17, beta=0.2, gamma=0.1, n=10, x0=1.2, dt=0.1, subsample=10,
                     discard=0):
        lag, steps = int(round(tau / dt)), (length + discard) * subsample
        x = np.full(steps + lag + 1, x0)
        for t in range(lag, lag + steps):
            x[t + 1] = x[t] + dt * (beta * x[t - lag] / (1 + x[t - lag] ** n) - gamma * x[t])
        return x[lag + subsample::subsample][discard:discard + length]


@pytest.mark.parametrize("rho,sparsity", [(0.9, 0.9), (1.25, 0.5), (0.5, 0.0)])
def test_reservoir_has_configured_spectral_radius_and_sparsity(rho, sparsity):
    esn = EchoStateNetwork(2, 80, 1, spectral_radius=rho, sparsity=sparsity,
                           generator=np.random.default_rng(0), dtype=np.float64)
    w = esn.weight_res.array
    assert abs(spectral_radius(w) - rho) < 1e-6
    assert abs(np.max(np.abs(np.linalg.eigvals(w))) - rho) < 1e-6
    assert np.count_nonzero(w) == round((1 - sparsity) * 80 * 80)


def test_nilpotent_reservoir_is_rejected():
    with pytest.raises(ValueError, match="nilpotent"):
        # one non-zero off the diagonal: W² = 0
        rng = np.random.default_rng(1)
        for _ in range(20):
            sparse_reservoir(10, 0.9, 0.99, rng)


def test_ridge_readout_equals_closed_form(rng):
    esn = EchoStateNetwork(2, 30, 3, ridge=0.1, washout=5, generator=np.random.default_rng(2),
                           dtype=np.float64)
    u, y = rng.standard_normal((50, 4, 2)), rng.standard_normal((50, 4, 3))
    esn.fit(u, y)
    xs = esn.states(u)
    z = np.concatenate([np.ones((50, 4, 1)), u, xs], -1)[5:].reshape(-1, 33)
    w_ref = np.linalg.inv(z.T @ z + 0.1 * np.eye(33)) @ z.T @ y[5:].reshape(-1, 3)
    np.testing.assert_allclose(esn.weight_out.array, w_ref.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ridge_regression(z, y[5:].reshape(-1, 3), 0.1), w_ref,
                               rtol=1e-8, atol=1e-10)


def test_leaky_reservoir_update_matches_formula(rng):
    esn = EchoStateNetwork(1, 10, 1, leak_rate=0.3, bias_scaling=0.5,
                           generator=np.random.default_rng(3), dtype=np.float64)
    u = rng.standard_normal((4, 1))
    x, ref = np.zeros(10), []
    for t in range(4):
        cand = np.tanh(esn.weight_in.array @ u[t] + esn.bias_in.array + esn.weight_res.array @ x)
        x = 0.7 * x + 0.3 * cand
        ref.append(x)
    np.testing.assert_allclose(esn.states(u), np.stack(ref), atol=1e-13)


def _nrmse(pred, target):
    return np.sqrt(np.mean((pred - target) ** 2) / np.var(target))


def test_esn_predicts_mackey_glass_far_better_than_persistence():
    series = mackey_glass(2600, discard=200)
    u, y = series[:-1, None], series[1:, None]  # one-step-ahead prediction
    train, test = slice(0, 2000), slice(2000, None)
    esn = EchoStateNetwork(1, 300, 1, spectral_radius=1.1, sparsity=0.9, leak_rate=0.3,
                           input_scaling=1.0, bias_scaling=0.2, ridge=1e-8, washout=100,
                           generator=np.random.default_rng(42), dtype=np.float64)
    esn.fit(u[train], y[train])
    pred = esn(u).array[test]
    esn_err = _nrmse(pred, y[test])
    persistence = _nrmse(u[test], y[test])  # ŷ(t+1) = u(t)
    assert esn_err < 0.02 * persistence, (esn_err, persistence)
    # free-running multi-step prediction from the end of the training data
    gen = esn.generate(50, u[:2000]).array
    free_err = _nrmse(gen, y[1999:2049])
    flat = _nrmse(np.full((50, 1), u[1999, 0]), y[1999:2049])  # persistence over the horizon
    assert gen.shape == (50, 1) and free_err < 0.1 * flat, (free_err, flat)


def test_esn_errors():
    with pytest.raises(ValueError, match="sparsity must be in"):
        EchoStateNetwork(1, 10, 1, sparsity=1.0)
    with pytest.raises(ValueError, match="leak_rate must be in"):
        EchoStateNetwork(1, 10, 1, leak_rate=0.0)
    esn = EchoStateNetwork(2, 10, 1, washout=3, generator=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="call fit"):
        esn(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"expected input \(T, N, 2\) or \(T, 2\), got \(5, 3\)"):
        esn.fit(np.zeros((5, 3)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="washout 3 leaves no step"):
        esn.fit(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="expected target"):
        esn.fit(np.zeros((6, 2)), np.zeros((6, 2)))
    esn.fit(np.random.default_rng(0).standard_normal((8, 2)), np.zeros((8, 1)))
    with pytest.raises(ValueError, match="output_size \\(1\\) must equal input_size \\(2\\)"):
        esn.generate(3, np.zeros((4, 2)))
