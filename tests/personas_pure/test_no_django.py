"""The pure persona modules must import without Django (engine, bench and tests rely on it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PURE_MODULES = (
    "personas.build.text",
    "personas.build.stances",
    "personas.build.propensities",
    "personas.build.profiling",
    "personas.build.cards",
    "personas.build.population_data",
    "personas.build.persona_traits",
    "personas.build.sampling",
    "personas.build.graphs",
    "personas.build.boards",
)


def test_pure_persona_modules_import_nothing_from_django():
    code = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in PURE_MODULES)
        + "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        + "print(','.join(loaded))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
