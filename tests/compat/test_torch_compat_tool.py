"""tools/torch_compat.py: classification rules and the generated table's shape."""
import importlib.util
import pathlib

import gradwise as gw

TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "torch_compat.py"
spec = importlib.util.spec_from_file_location("torch_compat", TOOL)
torch_compat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torch_compat)


def test_classify_sorts_names_into_the_three_kinds():
    assert torch_compat.classify("topk", gw.Tensor) == ("implemented", None)
    status, why = torch_compat.classify("to_sparse", gw.Tensor)
    assert status == "out of scope" and "sparse" in why
    status, why = torch_compat.classify("pin_memory", gw.Tensor)
    assert status == "out of scope" and "CPU" in why
    assert torch_compat.classify("max_pool2d_with_indices", gw.nn.functional)[0] != "out of scope"
    assert torch_compat.classify("name_that_gradwise_lacks", gw)[0] == "not implemented"


def test_rendered_table_counts_every_public_name_once():
    rows = torch_compat.table()
    assert [r[0] for r in rows] == [t for t, _ in torch_compat.NAMESPACES]
    for theirs, _, entries in rows:
        names = [e[0] for e in entries]
        assert len(names) == len(set(names)) and names, theirs
        assert {e[1] for e in entries} <= {"implemented", "not implemented", "out of scope"}
    text = torch_compat.render(rows, "test")
    assert "## Totals" in text and "| **all** |" in text
    assert "`view_as`" in text and "`DataLoader`" in text
