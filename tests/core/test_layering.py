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


def test_importing_the_core_loads_no_plugin():
    code = (
        "import sys, neurokit.core.registry, neurokit.core.config, neurokit.core.interfaces;"
        "print([m for m in sys.modules if m.startswith('neurokit.plugins')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
