import numpy as np
import pytest

import gradwise as gw
from gradwise.autograd import gradcheck
from gradwise.nn.recursive import RecursiveNN, tree_schedule


def _numpy_compose(tree, leaves, w, b):
    if isinstance(tree, int):
        return leaves[tree]
    c = np.concatenate([_numpy_compose(tree[0], leaves, w, b), _numpy_compose(tree[1], leaves, w, b)])
    return np.tanh(w @ c + b)


def test_tree_schedule_groups_nodes_by_height():
    levels, roots = tree_schedule(((0, 1), (2, (3, 4))), 5)
    # height 1: (0,1) and (3,4) -> ids 5, 6; height 2: (2, 6) -> 7; height 3: (5, 7) -> 8
    assert [(l.tolist(), r.tolist()) for l, r in levels] == [([0, 3], [1, 4]), ([2], [6]), ([5], [7])]
    assert roots.tolist() == [8]


@pytest.mark.parametrize("tree", [((0, 1), (2, (3, 4))), (((0, 1), 2), 3), 2, (1, 0)])
def test_recursive_net_matches_recursive_numpy_transcription(tree, rng):
    gw.manual_seed(0)
    net = RecursiveNN(4, dtype=np.float64)
    leaves = rng.standard_normal((5, 4))
    root, table = net(gw.tensor(leaves), tree)
    ref = _numpy_compose(tree, leaves, net.weight.array, net.bias.array)
    np.testing.assert_allclose(root.array, ref, atol=1e-12)


def test_forest_is_composed_level_by_level_and_matches_single_trees(rng):
    gw.manual_seed(1)
    net = RecursiveNN(3, dtype=np.float64)
    leaves = gw.tensor(rng.standard_normal((6, 3)))
    trees = [((0, 1), 2), (3, (4, 5)), ((0, 5), (1, 4))]
    roots, table = net(leaves, trees)
    assert roots.shape == (3, 3) and table.shape == (6 + 7, 3)  # 2 + 2 + 3 internal nodes
    for k, t in enumerate(trees):
        np.testing.assert_allclose(roots.array[k], net(leaves, t)[0].array, atol=1e-12)


def test_recursive_net_gradcheck_leaves_and_parameters(rng):
    gw.manual_seed(2)
    net = RecursiveNN(3, dtype=np.float64)
    leaves = gw.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    tree = ((0, (1, 2)), (3, 4))
    assert gradcheck(lambda lv, w, b: net(lv, tree)[0], [leaves, net.weight, net.bias])


def test_balanced_tree_is_shallower_than_chain():
    balanced, _ = tree_schedule((((0, 1), (2, 3)), ((4, 5), (6, 7))), 8)
    chain, _ = tree_schedule((((((((0, 1), 2), 3), 4), 5), 6), 7), 8)
    assert len(balanced) == 3 and len(chain) == 7  # O(log τ) vs τ − 1 compositions deep


def test_recursive_errors():
    net = RecursiveNN(3)
    with pytest.raises(ValueError, match="leaf index 5 out of range"):
        net(gw.zeros(5, 3), (0, 5))
    with pytest.raises(ValueError, match="a pair"):
        net(gw.zeros(5, 3), (0, 1, 2))
    with pytest.raises(ValueError, match=r"RecursiveNN\(.*\): expected leaves \(L, 3\)"):
        net(gw.zeros(5, 4), (0, 1))
    with pytest.raises(ValueError, match="nonlinearity must be"):
        RecursiveNN(3, nonlinearity="sigmoid")
