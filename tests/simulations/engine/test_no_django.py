"""The engine must stay importable and testable without Django (DESIGN: pure Python).

Scanning the engine's own ``import`` lines would miss a Django import one module away (the
engine importing a helper that imports Django), so every engine module is imported in a fresh
interpreter and ``sys.modules`` is read afterwards: whatever got loaded, by any path, is there.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import simulations.engine

FRAMEWORKS = ("django", "rest_framework", "channels", "django_q")


def engine_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(simulations.engine.__path__, "simulations.engine.")]


def frameworks_loaded_by(modules: list[str], *, path: tuple[str, ...] = ()) -> list[str]:
    """The framework modules a fresh interpreter holds after importing ``modules`` (with ``path``
    put first on ``sys.path``)."""
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = {list(path)!r}\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"roots = {FRAMEWORKS!r}\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in roots)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_importing_every_engine_module_loads_no_framework() -> None:
    modules = engine_modules()
    assert len(modules) > 25 and "simulations.engine.world" in modules
    assert frameworks_loaded_by(modules) == []


def test_the_check_sees_django_loaded_one_module_away(tmp_path: Path) -> None:
    """Positive control: a module with no Django import of its own, whose helper imports Django."""
    package = tmp_path / "leaky"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text("from django.utils.text import slugify\n")
    (package / "pure_looking.py").write_text("from leaky.helper import slugify\n")
    assert "django.utils.text" in frameworks_loaded_by(["leaky.pure_looking"], path=(str(tmp_path),))
