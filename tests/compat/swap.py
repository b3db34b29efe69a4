"""Run a PyTorch program twice: as written (PyTorch) and after the import swap alone
(``import torch`` -> ``import gradwise as torch``, ``torch.nn`` -> ``gradwise.nn``, ...).

A program under programs/ defines ``build()`` -> its modules (a tuple) and
``train(modules, steps)`` -> the list of losses. ``run_both`` builds both versions, copies
PyTorch's initial weights into gradwise's (``load_state_dict`` of the ``.numpy()`` arrays, so
both start equal even where the program draws its own random init), then trains both.
"""
import pathlib
import re
import types

import numpy as np

PROGRAMS = pathlib.Path(__file__).parent / "programs"

_IMPORT = re.compile(r"^(\s*)(import|from)\s+torch\b(\S*)(.*)$", re.M)


def swap_imports(source: str) -> str:
    """The import swap: only import lines change; the program body is untouched."""
    def repl(m):
        indent, kind, sub, rest = m.groups()
        if kind == "import" and not sub and not rest.strip().startswith("as"):
            return f"{indent}import gradwise as torch{rest}"  # `import torch`
        return f"{indent}{kind} gradwise{sub}{rest}"

    return _IMPORT.sub(repl, source)


def load(name: str, swap: bool) -> types.ModuleType:
    source = (PROGRAMS / f"{name}.py").read_text(encoding="utf-8")
    if swap:
        source = swap_imports(source)
        assert not re.search(r"^\s*(import|from)\s+torch\b", source, re.M), "import left"
    module = types.ModuleType(f"{name}_{'gradwise' if swap else 'torch'}")
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def run_both(name: str, steps: int):
    """(torch_losses, gradwise_losses) of program ``name`` from the same initial weights."""
    theirs, ours = load(name, swap=False), load(name, swap=True)
    t_modules, g_modules = theirs.build(), ours.build()
    for t, g in zip(t_modules, g_modules):
        state = {k: v.detach().numpy().copy() for k, v in t.state_dict().items()}
        g.load_state_dict(state)
    t_losses = [float(v) for v in theirs.train(t_modules, steps)]
    g_losses = [float(v) for v in ours.train(g_modules, steps)]
    return np.array(t_losses), np.array(g_losses)
