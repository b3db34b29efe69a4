"""Run a PyTorch program on gradwise by the import swap alone.

    python examples/run_with_gradwise.py examples/cnn_mnist.py --steps 3

Before the program runs, ``torch`` and its submodules (``torch.nn``, ``torch.nn.functional``,
``torch.optim``, ``torch.utils.data``, ...) are made to resolve to gradwise's modules in
``sys.modules``; the program's source is not touched. ``gradwise_as_torch()`` does the same for
the length of a ``with`` block and puts the previous entries back afterwards (the tests use it).
"""
import contextlib
import importlib
import runpy
import sys

# Imported first, so that every submodule a PyTorch program names is in sys.modules.
_SUBMODULES = ("nn", "nn.functional", "nn.init", "nn.utils", "nn.modules", "optim",
               "optim.lr_scheduler", "utils", "utils.data", "distributions")


def torch_modules():
    """{"torch...": module} for gradwise and each of its loaded submodules."""
    gradwise = importlib.import_module("gradwise")
    for name in _SUBMODULES:
        importlib.import_module(f"gradwise.{name}")
    mapping = {"torch": gradwise}
    for name, module in list(sys.modules.items()):
        if name.startswith("gradwise.") and module is not None:
            mapping["torch." + name[len("gradwise."):]] = module
    return mapping


@contextlib.contextmanager
def gradwise_as_torch():
    """Within the block, ``import torch`` (and ``torch.*``) gives gradwise."""
    mapping = torch_modules()
    saved = {name: sys.modules[name] for name in list(sys.modules)
             if name == "torch" or name.startswith("torch.")}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(mapping)
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit("usage: run_with_gradwise.py PROGRAM.py [ARGS...]")
    path, args = argv[0], argv[1:]
    old_argv = sys.argv
    sys.argv = [path, *args]
    try:
        with gradwise_as_torch():
            runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = old_argv


if __name__ == "__main__":
    main()
