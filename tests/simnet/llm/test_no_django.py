from __future__ import annotations

import subprocess
import sys

MODULES = [
    "simnet.llm.anthropic_provider",
    "simnet.llm.baseline",
    "simnet.llm.offline",
    "simnet.llm.offline_child",
    "simnet.llm.offline_process",
    "simnet.llm.openai_compat",
    "simnet.llm.registry",
    "simnet.llm.wrappers",
]


def test_the_provider_layer_imports_nothing_from_django():
    code = f"import sys\nfor m in {MODULES!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m.startswith('django')))"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
