"""The core never imports a plugin: dependencies point cli -> core <- plugins."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "neurokit" / "core"


def test_core_source_imports_no_plugin_module():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("neurokit.plugins")]
    assert not offenders


FORBIDDEN = ("neurokit.console", "neurokit.console_events", "neurokit.commands", "rich", "click")


def _print_offenders(source: str, where: str) -> list[str]:
    offenders = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        offenders += [
            f"{where}: imports {n}"
            for n in names
            if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)
        ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            offenders.append(f"{where}:{node.lineno}: calls print")
    return offenders


def test_the_print_check_catches_printing():
    code = "from neurokit import console\nimport rich.progress\ndef f():\n    print('x')\n"
    assert len(_print_offenders(code, "m")) == 3


def test_core_never_prints():
    """Core returns data; the CLI side (neurokit/cli.py, neurokit/commands) prints it."""
    offenders = []
    for path in CORE.rglob("*.py"):
        offenders += _print_offenders(path.read_text(), str(path.relative_to(CORE)))
    assert not offenders


def test_importing_the_core_loads_no_plugin():
    code = (
        "import sys, neurokit.core.registry, neurokit.core.config, neurokit.core.interfaces;"
        "print([m for m in sys.modules if m.startswith('neurokit.plugins')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _core_imports() -> dict[str, set[str]]:
    """Module -> the neurokit.core modules it imports (module level and inside functions)."""
    root = CORE.parent.parent
    modules = {
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
        for p in CORE.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                while target and target not in modules:  # `from a.b import c` -> a.b
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("neurokit.core"):
                    edges.add(target)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_core_modules_import_no_cycle():
    """Every import counts, also those inside functions: a lazy import only hides a loop."""
    graph = _core_imports()
    assert "neurokit.core.data.writer" in graph
    assert _find_cycle(graph) is None, " -> ".join(_find_cycle(graph) or [])
