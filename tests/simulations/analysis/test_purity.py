"""The analysis package is pure: importing all of it loads nothing from Django."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import simulations.analysis


def test_importing_every_module_loads_no_django():
    modules = [f"simulations.analysis.{m.name}" for m in pkgutil.iter_modules(simulations.analysis.__path__)]
    assert len(modules) >= 15
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
