"""The layering of STYLE.md, checked by reading every import statement in src/gradwise.

core -> functional -> nn -> optim/models -> train -> viz -> cli; data imports only core;
nothing imports cli; torch is never imported at runtime.
"""
import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "gradwise"
RANK = {"core": 0, "autograd": 0.5, "distributed": 0.5, "functional": 1, "signal": 2, "nn": 2, "optim": 3,
        "models": 3, "utils": 4, "data": 4, "serialization": 4, "train": 5, "onnx": 5.5, "viz": 6, "cli": 7}


def _layer(path):
    rel = path.relative_to(SRC).parts
    return rel[0].removesuffix(".py") if len(rel) > 1 or rel[0] != "__init__.py" else None


def _imported_layers(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = list(path.relative_to(SRC).parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.lineno, node.module or ""
                continue
            base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
            mod = ".".join(["gradwise", *base, *([node.module] if node.module else [])])
            if node.module is None:  # from . import x
                for a in node.names:
                    yield node.lineno, f"{mod}.{a.name}"
            else:
                yield node.lineno, mod


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SRC)) for p in FILES])
def test_imports_flow_one_way(path):
    layer = _layer(path)
    for lineno, mod in _imported_layers(path):
        top = mod.split(".")[0]
        assert top not in ("torch", "tensorflow", "jax"), f"{path}:{lineno} imports {mod}"
        if top != "gradwise" or layer is None:
            if layer is None:
                assert not mod.startswith("gradwise.cli"), f"{path}:{lineno} imports the cli"
            continue
        parts = mod.split(".")
        if len(parts) < 2 or parts[1] == layer:
            continue
        target = parts[1]
        assert layer in RANK, f"{path}: top-level module {layer!r} has no layer in RANK"
        assert target in RANK, f"{path}:{lineno}: imports unknown layer {target!r}"
        assert target != "cli", f"{path}:{lineno}: nothing may import cli"
        if layer == "data":
            assert target in ("core", "autograd", "distributed"), f"{path}:{lineno}: data may import only core, got {mod}"
        else:
            assert RANK[target] < RANK[layer], (
                f"{path}:{lineno}: {layer} (rank {RANK[layer]}) imports {mod} (rank {RANK[target]})"
            )


def test_source_files_stay_small():
    big = [(str(p.relative_to(SRC)), n) for p in FILES
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800]
    assert not big, f"split these files (STYLE: about 600 lines): {big}"


FUNCTIONAL = sorted((SRC / "functional").rglob("*.py"))


@pytest.mark.parametrize("path", FUNCTIONAL, ids=[str(p.relative_to(SRC)) for p in FUNCTIONAL])
def test_functional_kernels_are_pure_numpy(path):
    """Every ``x_forward``/``x_backward`` pair in functional works on ndarrays: Tensor appears only
    in the wrappers that hand the pair to apply_op (and in Tensor-level composites)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name, fn in defs.items():
        stem = name.removesuffix("_forward").removesuffix("_backward")
        if stem == name or f"{stem}_forward" not in defs or f"{stem}_backward" not in defs:
            continue
        uses = [n.lineno for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == "Tensor"]
        assert not uses, f"{path}:{uses[0]}: kernel {name} uses Tensor (kernels take ndarrays)"


def _calls_apply_op(fn):
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None))
               == "apply_op" for n in ast.walk(fn))


def _tensor_level(tree):
    """The names a functional file lists in ``TENSOR_LEVEL = (...)``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "TENSOR_LEVEL"
                                                for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


@pytest.mark.parametrize("path", FUNCTIONAL, ids=[str(p.relative_to(SRC)) for p in FUNCTIONAL])
def test_functional_names_tensor_only_in_apply_op_wrappers(path):
    """functional takes and returns arrays or goes through apply_op: ``Tensor`` appears only in
    functions that call apply_op (unwrapping or checking their arguments for it) and in those the
    file lists in ``TENSOR_LEVEL`` (they work on the Tensor class itself). Other functions unwrap
    with ``as_array``/``unwrap`` and wrap a non-differentiable result with ``as_tensor``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    listed = _tensor_level(tree)
    defs = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert listed <= defs, f"{path}: TENSOR_LEVEL names no function {sorted(listed - defs)}"
    allowed = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                fn.name in listed or _calls_apply_op(fn)):
            allowed.update(id(n) for n in ast.walk(fn))
    uses = sorted(n.lineno for n in ast.walk(tree) if id(n) not in allowed and (
        (isinstance(n, ast.Name) and n.id == "Tensor")
        or (isinstance(n, ast.Attribute) and n.attr == "Tensor")))
    assert not uses, (f"{path}:{uses[0]}: Tensor outside an apply_op wrapper (lines {uses}); take "
                      "and return arrays, or go through apply_op")

