"""The newcomer path: the README's test command needs only the ``test`` extra, and CI runs
exactly that command in a fresh virtual environment."""
import ast
import importlib.metadata
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = [line.strip() for line in text.splitlines()
                  if "pip install" in line and ".[test]" in line and "pytest" in line]
    return command


def requirements(key: str) -> set:
    """Names in ``key = [...]`` of pyproject.toml (read without tomllib, which Python 3.10
    lacks)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (body,) = re.findall(rf"^{key} = \[(.*?)\]", text, re.S | re.M)
    return {_name(r) for r in re.findall(r'"([^"]+)"', body)}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_modules(path: pathlib.Path) -> set:
    """Top-level names of every import in a file, also those inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_package_the_tests_import_is_in_the_test_extra():
    provided = requirements("test") | requirements("dependencies")
    local = ({p.stem for p in TESTS.rglob("*.py")} | {p.name for p in TESTS.rglob("*") if p.is_dir()}
             | {p.stem for p in (TESTS.parent / "examples").glob("*.py")} | {"gradwise", "tests"})
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for path in sorted(TESTS.rglob("*.py")):
        for module in imported_modules(path) - set(sys.stdlib_module_names) - local:
            dists = {_name(d) for d in distributions.get(module, [module])}
            if not dists & provided:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported by the tests but not in the 'test' extra: {missing}"


def test_scipy_is_in_the_test_extra_for_the_signal_tests():
    assert "scipy" in requirements("test")


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    command = readme_test_command()
    assert command == 'pip install -q -e ".[test]" && python -m pytest'
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1] == command                         # exactly the README's command, last
    venv = [i for i, line in enumerate(lines) if re.match(r"python3? -m venv ", line)]
    activate = [i for i, line in enumerate(lines) if re.match(r"(source|\.) .*/bin/activate", line)]
    assert venv and activate and venv[0] < activate[0] < len(lines) - 1
    assert "--system-site-packages" not in script       # the machine's packages stay hidden
