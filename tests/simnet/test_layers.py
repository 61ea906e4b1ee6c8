"""The layer rules of pyproject.toml ``[tool.importlinter]`` hold, and would catch a break.

``lint-imports`` reads the import graph statically (indirect imports included), so the rules
cover every module, whether a test imports it or not. The second test plants one break of
each contract in a copy of the code and checks that the real contracts report every one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("simnet", "personas", "scraping", "simulations")
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")

# One import that breaks each contract: (file in the copy, line appended to it, what the report says).
PLANTED = [
    (
        "simulations/engine/planted.py",
        "from simulations.runs import persistence",
        "simulations.engine is not allowed to import simulations.runs",
    ),
    (
        "simnet/llm/planted.py",
        "from simulations.engine import world",
        "simnet.llm is not allowed to import simulations.engine",
    ),
    (
        "scraping/sources/records.py",
        "from scraping.sources import base",
        "scraping.sources.records is not allowed to import scraping.sources.base",
    ),
    (
        "personas/planted.py",
        "from simulations.runs import stepper",
        "personas is not allowed to import simulations",
    ),
    (
        "simulations/runs/planted.py",
        "from simulations.scenarios import services",
        "simulations.runs is not allowed to import simulations.scenarios",
    ),
    (
        "personas/builders/planted.py",
        "import personas.models",
        "personas.builders is not allowed to import personas.models",
    ),
    (
        "simnet/providers/models.py",
        "from simnet.providers import views",
        "No cycles are allowed in simnet.providers",
    ),
    (
        "simnet/api/planted.py",
        "from simnet.accounts import members_api",
        "simnet.api is not allowed to import simnet.accounts",
    ),
]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the packages under ``cwd`` with the contracts of ``cwd/pyproject.toml``."""
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        check=False,  # the report is the assertion message
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},  # one line a contract in the report
        timeout=120,
    )


def test_the_layer_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 8 kept, 0 broken." in result.stdout


def test_the_contracts_report_a_planted_break_of_each(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    for path, line, _ in PLANTED:
        with (tmp_path / path).open("a") as module:
            module.write(f"\n{line}\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 0 kept, 8 broken." in result.stdout, result.stdout
    for _, _, report in PLANTED:
        assert report in result.stdout, result.stdout
