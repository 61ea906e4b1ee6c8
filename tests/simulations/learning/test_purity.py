"""The learners are pure: importing every module of simulations.learning pulls in no Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import importlib, pkgutil, sys
import simulations.learning as package
names = [m.name for m in pkgutil.iter_modules(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
assert {"simulations.learning.engagement", "simulations.learning.reactions"} <= set(sys.modules), names
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(len(names), leaked)
"""


def test_purity():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, leaked = done.stdout.split(maxsplit=1)
    assert int(count) >= 4
    assert leaked.strip() == "[]"
