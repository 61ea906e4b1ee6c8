"""The pure persona modules must import without Django (engine, bench and tests rely on it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PURE_MODULES = (
    "personas.builders.text",
    "personas.builders.stances",
    "personas.builders.propensities",
    "personas.builders.profiling",
    "personas.builders.cards",
    "personas.builders.population_data",
    "personas.builders.persona_traits",
    "personas.builders.sampling",
    "personas.builders.graphs",
    "personas.builders.boards",
)


def test_pure_persona_modules_import_nothing_from_django():
    code = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in PURE_MODULES)
        + "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        + "print(','.join(loaded))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
