"""Generate docs/torch_compat.md: PyTorch's public names next to gradwise's.

For each namespace (torch, torch.nn, torch.nn.functional, torch.optim,
torch.optim.lr_scheduler, torch.utils.data, torch.Tensor) every public name of the installed
PyTorch is classified as

    implemented      gradwise has the name at the same place (after the import swap)
    out of scope     matched by a rule of OUT_OF_SCOPE below, which gives the reason
    not implemented  everything else

    python tools/torch_compat.py            # rewrites docs/torch_compat.md
    python tools/torch_compat.py --check    # exit 1 if the file is out of date

torch is a development dependency of this script only; gradwise never imports it.
"""
from __future__ import annotations

import argparse
import importlib
import pathlib
import re
import sys
import types

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "torch_compat.md"

NAMESPACES = [
    ("torch", "gradwise"),
    ("torch.nn", "gradwise.nn"),
    ("torch.nn.functional", "gradwise.nn.functional"),
    ("torch.optim", "gradwise.optim"),
    ("torch.optim.lr_scheduler", "gradwise.optim.lr_scheduler"),
    ("torch.utils.data", "gradwise.utils.data"),
    ("torch.Tensor", "gradwise.Tensor"),
]

# (pattern matched against the whole name, reason); the first match wins
OUT_OF_SCOPE = [
    (r"(cuda|cudnn|miopen|mps|xpu|mtia|hpu|ipu|xla|vulkan|mkldnn|fbgemm|nnpack|mkl|openmp|"
     r"is_pinned|pin_memory|pinned|record_stream|get_device|Stream|Event|stream|ipc|"
     r"set_default_device|get_default_device|DeviceObjType|device_of|use_deterministic_"
     r"algorithms|are_deterministic_algorithms_enabled|.*deterministic_debug_mode|"
     r"is_warn_always_enabled|set_warn_always|set_float32_matmul_precision|"
     r"get_float32_matmul_precision|_foreach.*|foreach_.*|.*_foreach).*",
     "GPU and accelerator backends, streams, pinned memory: gradwise computes on the CPU"),
    (r".*(quantiz|qint|quint|qscheme|q_per|q_scale|q_zero|int_repr|fake_quant|per_channel|"
     r"per_tensor|dequantize|qat|intrinsic|fused_moving_avg).*|q_.*|qr_.*",
     "quantized tensors"),
    (r".*(sparse|_csr|_csc|_bsr|_bsc|coo|crow_|col_indices|ccol|row_indices|smm|sspaddmm|"
     r"hspmm|to_dense|dense_dim|coalesce|_nnz|nested|jagged).*|smm|values|indices",
     "sparse and nested tensors"),
    (r".*(complex|cfloat|cdouble|chalf|conj|view_as_real|angle|polar|fft|stft|istft|"
     r"is_neg|resolve_neg|real$|imag$).*|real|imag",
     "complex numbers and spectral ops (NumPy-backed real tensors only)"),
    (r"(jit|compile|compiler|fx|export|_dynamo|dynamo|inductor|onnx|script|package|"
     r"library|ops|overrides|testing|hub|profiler|autograd\.profiler|func|vmap|"
     r"cond|while_loop|sym_.*|Sym.*|is_symbolic|export|ScriptModule|ScriptFunction|"
     r"classes|classproperty|utils|monitor|signal|special|masked|types|storage|"
     r"contrib|random|serialization|version|return_types|functional|quasirandom|"
     r"hub|mps|xpu|mtia|accelerator_utils|amp|autocast|.*autocast.*|is_autocast_.*|"
     r"get_autocast_.*|set_autocast_.*|clear_autocast_cache|compiled_with_cxx11_abi|"
     r"ScriptObject|ScriptDict|ScriptList|CompilationUnit|Graph|Node|Value|Block|"
     r"FunctionSchema|Argument|AliasDb|.*Type$|.*Tag$|Tag|DispatchKey.*)",
     "compilers, tracing, export, profilers and internal C++ bindings: gradwise runs eagerly"),
    (r".*(Storage|storage|data_ptr|untyped|share_memory_|is_shared|set_$|module_load|"
     r"_typed|from_file|from_dlpack|to_dlpack|dlpack|__dlpack).*",
     "raw storages and memory sharing across frameworks"),
    (r"(align_to|align_as|refine_names|rename|rename_|names|has_names)",
     "named tensors (prototype in PyTorch)"),
    (r"(float8.*|bfloat16|uint16|uint32|uint64|bits.*|int1|int2|int3|int4|int5|int6|int7|"
     r"uint1|uint2|uint3|uint4|uint5|uint6|uint7|BFloat16Tensor|is_inference|inference_mode|"
     r"is_inference_mode_enabled)",
     "dtypes NumPy lacks (bfloat16, float8, bit-packed) and inference mode"),
    (r"(DistributedDataParallel|SyncBatchNorm)",
     "multi-device parallelism"),
    (r"Lazy.*|.*UninitializedParameter|UninitializedBuffer",
     "lazy modules (shapes inferred at first call)"),
]
_RULES = [(re.compile(p), why) for p, why in OUT_OF_SCOPE]

# dunders that programs use as operators, counted for Tensor
_TENSOR_DUNDERS = {
    "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
    "__matmul__", "__neg__", "__abs__", "__getitem__", "__setitem__", "__len__", "__iter__",
    "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__and__", "__or__",
    "__xor__", "__invert__", "__bool__", "__float__", "__int__", "__index__", "__format__",
    "__array__", "__contains__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
    "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__", "__rmatmul__",
}


def _resolve(path):
    head, _, tail = path.rpartition(".")
    if tail == "Tensor" and head in ("torch", "gradwise"):
        return getattr(importlib.import_module(head), "Tensor")
    return importlib.import_module(path)


def public_names(obj, is_tensor):
    names = []
    for name in dir(obj):
        if name.startswith("_"):
            if is_tensor and name in _TENSOR_DUNDERS:
                names.append(name)
            continue
        value = getattr(obj, name, None)
        if isinstance(value, types.ModuleType) and not value.__name__.startswith("torch"):
            continue  # re-exported standard library modules (os, math, ...)
        if getattr(value, "__module__", "") in ("typing", "typing_extensions", "builtins",
                                                "__future__") and not isinstance(value, type):
            continue
        names.append(name)
    return sorted(set(names))


def classify(name, ours):
    """("implemented" | "out of scope" | "not implemented", reason or None) for ``name``."""
    if hasattr(ours, name):
        return "implemented", None
    for rule, why in _RULES:
        if rule.fullmatch(name):
            return "out of scope", why
    return "not implemented", None


def table():
    rows = []
    for theirs_path, ours_path in NAMESPACES:
        theirs, ours = _resolve(theirs_path), _resolve(ours_path)
        entries = [(n, *classify(n, ours)) for n in public_names(theirs, theirs_path.endswith("Tensor"))]
        rows.append((theirs_path, ours_path, entries))
    return rows


def _names(names):
    return ", ".join(f"`{n}`" for n in names) if names else "—"


def render(rows, torch_version):
    out = ["# PyTorch API coverage", "",
           f"Generated by `python tools/torch_compat.py` against PyTorch {torch_version}; do not "
           "edit by hand. Each public name of the PyTorch namespace is *implemented* (gradwise "
           "has it at the same place, so the import swap finds it), *out of scope* (with the "
           "reason; the rules are `OUT_OF_SCOPE` in the script) or *not implemented*.",
           "", "## Totals", "",
           "| namespace | implemented | not implemented | out of scope | total | implemented, % of in scope |",
           "|---|---:|---:|---:|---:|---:|"]
    grand = [0, 0, 0]
    for theirs, _, entries in rows:
        counts = [sum(1 for e in entries if e[1] == k)
                  for k in ("implemented", "not implemented", "out of scope")]
        grand = [g + c for g, c in zip(grand, counts)]
        pct = 100 * counts[0] / max(1, counts[0] + counts[1])
        out.append(f"| `{theirs}` | {counts[0]} | {counts[1]} | {counts[2]} | {sum(counts)} | "
                   f"{pct:.0f}% |")
    pct = 100 * grand[0] / max(1, grand[0] + grand[1])
    out.append(f"| **all** | {grand[0]} | {grand[1]} | {grand[2]} | {sum(grand)} | {pct:.0f}% |")
    for theirs, ours, entries in rows:
        out += ["", f"## `{theirs}` → `{ours}`", ""]
        out += [f"**Implemented** ({sum(e[1] == 'implemented' for e in entries)}): "
                + _names([e[0] for e in entries if e[1] == "implemented"]), ""]
        out += [f"**Not implemented** ({sum(e[1] == 'not implemented' for e in entries)}): "
                + _names([e[0] for e in entries if e[1] == "not implemented"]), ""]
        reasons = {}
        for name, status, why in entries:
            if status == "out of scope":
                reasons.setdefault(why, []).append(name)
        out.append(f"**Out of scope** ({sum(len(v) for v in reasons.values())}):")
        out.append("")
        for why, names in reasons.items():
            out.append(f"- {why}: {_names(names)}")
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args(argv)
    import torch

    text = render(table(), torch.__version__)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date: run python tools/torch_compat.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
