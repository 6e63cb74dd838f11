"""The README's two quickstart lines and .ci/run stay in step."""

from __future__ import annotations

import re

from tests.conftest import REPO


def quickstart() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_is_two_lines_pinning_torch():
    install, test = quickstart()
    assert "torch==2.13.0" in install and "pytest" in test


def test_ci_installs_as_the_readme_says_and_runs_its_test_line():
    ci = (REPO / ".ci" / "run").read_text()
    install, test = quickstart()
    lines = [line.strip() for line in ci.splitlines()]
    assert install.strip() in lines and test.strip() in lines
    assert "ruff check neurokit tests" in lines and "ruff format --check neurokit tests" in lines
