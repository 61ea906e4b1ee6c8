"""scripts/install_llama.py: the first llama.cpp build that really decodes here is the one installed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_llama.py"


@pytest.fixture(scope="module")
def install_llama():
    spec = importlib.util.spec_from_file_location("install_llama", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


class Machine:
    """Builds that write a wheel file (or fail to compile), an install log and a CPU on which some
    builds crash."""

    def __init__(self, crashing: set[str], uncompilable: frozenset[str] = frozenset()) -> None:
        self.crashing = crashing
        self.uncompilable = uncompilable
        self.built: list[str] = []
        self.checked: list[str] = []
        self.installed: list[str] = []

    def build(self, tier, folder: Path) -> Path:
        self.built.append(tier.name)
        if tier.name in self.uncompilable:
            raise subprocess.CalledProcessError(1, ["pip", "wheel"])
        folder.mkdir(parents=True, exist_ok=True)
        wheel = folder / f"llama_cpp_python-0.3.36-{tier.name}.whl"
        wheel.write_text(tier.name)
        return wheel

    def install(self, wheel: Path) -> None:
        self.installed.append(wheel.read_text())

    def runs_here(self) -> bool:
        self.checked.append(self.installed[-1])
        return self.installed[-1] not in self.crashing


def test_a_build_that_crashes_here_falls_back_to_the_portable_one(install_llama, tmp_path):
    amx_cpu = Machine(crashing={"native"})
    tiers = install_llama.tiers({"avx2", "avx512f", "amx_tile", "amx_int8"})

    chosen = install_llama.choose(
        tiers, tmp_path, build=amx_cpu.build, install=amx_cpu.install, runs_here=amx_cpu.runs_here, say=print
    )

    assert chosen.name == "isa" and amx_cpu.installed[-1] == "isa"
    assert (tmp_path / "native" / "crashed").exists() and (tmp_path / "isa" / "ok").exists()
    assert "-DGGML_AVX512=ON" in chosen.cmake_args and "-DGGML_AMX_INT8=OFF" in chosen.cmake_args
    assert "-DGGML_AVX512_VNNI=OFF" in chosen.cmake_args  # only what the CPU has


def test_a_build_that_does_not_compile_here_falls_back_too(install_llama, tmp_path):
    odd = Machine(crashing=set(), uncompilable=frozenset({"native"}))

    chosen = install_llama.choose(
        install_llama.tiers({"avx2"}), tmp_path, build=odd.build, install=odd.install, runs_here=odd.runs_here
    )

    assert chosen.name == "isa" and odd.built == ["native", "isa"] and odd.installed == ["isa"]


def test_the_verdicts_are_kept_so_a_second_install_neither_builds_nor_checks(install_llama, tmp_path):
    first, second = Machine(crashing={"native"}), Machine(crashing={"native"})
    tiers = install_llama.tiers({"avx2"})
    install_llama.choose(tiers, tmp_path, build=first.build, install=first.install, runs_here=first.runs_here)

    chosen = install_llama.choose(
        tiers, tmp_path, build=second.build, install=second.install, runs_here=second.runs_here
    )

    assert chosen.name == "isa"
    assert second.built == [] and second.checked == [] and second.installed == ["isa"]


def test_a_cpu_where_native_runs_keeps_the_native_build(install_llama, tmp_path):
    fine = Machine(crashing=set())
    chosen = install_llama.choose(
        install_llama.tiers({"avx2"}),
        tmp_path,
        build=fine.build,
        install=fine.install,
        runs_here=fine.runs_here,
    )
    assert chosen.name == "native" and fine.built == ["native"]


def test_when_every_build_crashes_the_install_says_so(install_llama, tmp_path):
    broken = Machine(crashing={"native", "isa", "generic"})
    with pytest.raises(SystemExit, match="every llama.cpp build crashed"):
        install_llama.choose(
            install_llama.tiers(set()),
            tmp_path,
            build=broken.build,
            install=broken.install,
            runs_here=broken.runs_here,
        )
    assert broken.checked == ["native", "isa", "generic"]


def test_the_check_runs_in_a_child_and_a_segfault_there_is_a_no(install_llama, tmp_path):
    crash = tmp_path / "crash.py"
    crash.write_text("import ctypes\nctypes.string_at(0)\n")

    assert install_llama.runs_here([sys.executable, str(crash)]) is False
    assert install_llama.runs_here([sys.executable, "-c", "pass"]) is True


def test_cpu_flags_are_read_from_cpuinfo(install_llama):
    cpuinfo = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 amx_tile\nbogomips\t: 4000\n"
    assert install_llama.cpu_flags(cpuinfo) == {"fpu", "sse4_2", "avx", "avx2", "amx_tile"}


@pytest.mark.offline_model
def test_the_installed_build_decodes_on_this_machine(install_llama):
    assert install_llama.runs_here(), "the installed llama.cpp crashed on this CPU: run make install"
