from __future__ import annotations

import subprocess
import sys

MODULES = [
    "simulations.llm.anthropic_provider",
    "simulations.llm.baseline",
    "simulations.llm.offline",
    "simulations.llm.offline_child",
    "simulations.llm.offline_process",
    "simulations.llm.openai_compat",
    "simulations.llm.registry",
    "simulations.llm.wrappers",
]


def test_the_provider_layer_imports_nothing_from_django():
    code = f"import sys\nfor m in {MODULES!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m.startswith('django')))"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
