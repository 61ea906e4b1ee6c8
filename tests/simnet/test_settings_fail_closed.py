"""Settings fail closed: a value the environment cannot mean raises at startup, and every knob is
declared in simnet/settings.py instead of defaulted where it is read."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simnet.env import FALSE_WORDS, TRUE_WORDS, InvalidSetting, env_bool, env_float, env_int, env_map

ROOT = Path(__file__).resolve().parents[2]
SECRET = "x9!kQ2v#Lr8@pZ4m$Tn6^Wb1&Yc7*Hd3(Jf5)Ge0_Ua2+Sq8=Vx4-Rz6~Ek1"


def _settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    """Import the settings with only ``env`` set, then run ``code`` (which may print them)."""
    return subprocess.run(  # the caller checks the exit code
        [sys.executable, "-c", f"from django.conf import settings\nsettings.DEBUG\n{code}"],
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_SETTINGS_MODULE": "simnet.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_misspelt_production_flag_stops_the_settings_from_loading():
    typo = _settings_in_subprocess("", SIMNET_PRODUCTION="Ture", SECRET_KEY=SECRET, ALLOWED_HOSTS="a.example")
    assert typo.returncode != 0
    assert "InvalidSetting: SIMNET_PRODUCTION='Ture' is not a boolean" in typo.stderr
    spelt = _settings_in_subprocess(  # positive control: the same environment, spelt right
        "print(settings.DEBUG, settings.PRODUCTION)", SIMNET_PRODUCTION="True", SECRET_KEY=SECRET,
        ALLOWED_HOSTS="a.example",
    )  # fmt: skip
    assert spelt.returncode == 0, spelt.stderr
    assert spelt.stdout.split() == ["False", "True"]


def test_production_refuses_test_provider_kinds():
    production = {"SIMNET_PRODUCTION": "1", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "a.example"}
    kinds = "fake=tests.support.fake_provider.counting_fake_provider"
    refused = _settings_in_subprocess("", **production, SIMNET_TEST_PROVIDER_KINDS=kinds)
    assert refused.returncode != 0 and "SIMNET_TEST_PROVIDER_KINDS is for tests" in refused.stderr
    development = _settings_in_subprocess(
        "print(settings.SIMNET_TEST_PROVIDER_KINDS)", SIMNET_TEST_PROVIDER_KINDS=kinds
    )
    assert development.returncode == 0, development.stderr  # positive control: allowed outside production
    assert "counting_fake_provider" in development.stdout


@pytest.mark.parametrize("word", sorted(TRUE_WORDS | FALSE_WORDS))
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title, lambda w: f" {w} "])
def test_every_known_spelling_reads_as_what_it_says(monkeypatch, word, spelling):
    monkeypatch.setenv("SIMNET_TEST_FLAG", spelling(word))
    expected = word in TRUE_WORDS
    assert env_bool("SIMNET_TEST_FLAG", default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_gives_the_default(monkeypatch, default):
    monkeypatch.delenv("SIMNET_TEST_FLAG", raising=False)
    assert env_bool("SIMNET_TEST_FLAG", default=default) is default
    monkeypatch.setenv("SIMNET_TEST_FLAG", "")
    assert env_bool("SIMNET_TEST_FLAG", default=default) is default


@pytest.mark.parametrize("value", ["Ture", "2", "y", "enabled", "-1", "truee"])
def test_an_unknown_boolean_raises(monkeypatch, value):
    monkeypatch.setenv("SIMNET_TEST_FLAG", value)
    with pytest.raises(InvalidSetting, match="SIMNET_TEST_FLAG"):
        env_bool("SIMNET_TEST_FLAG")


@pytest.mark.parametrize(
    ("read", "value"),
    [(env_int, "90s"), (env_float, "half"), (lambda name, default: env_map(name), "bluesky")],
)
def test_numbers_and_maps_that_do_not_parse_raise(monkeypatch, read, value):
    monkeypatch.setenv("SIMNET_TEST_KNOB", value)
    with pytest.raises(InvalidSetting, match="SIMNET_TEST_KNOB"):
        read("SIMNET_TEST_KNOB", 1)


def test_knobs_that_were_read_with_a_default_are_set_from_the_environment():
    knobs = ["IMPORT_LEASE_SECONDS", "IMPORT_TASK_SLICE_SECONDS", "IMPORT_BASE_URLS", "SIMNET_SHARD_TURNS"]
    code = f"import json; print(json.dumps({{k: getattr(settings, k) for k in {knobs!r}}}))"
    result = _settings_in_subprocess(
        code, IMPORT_LEASE_SECONDS="45", IMPORT_TASK_SLICE_SECONDS="7.5",
        IMPORT_BASE_URLS="bluesky=https://appview.example.org, mastodon=https://m.example", SIMNET_SHARD_TURNS="12",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "IMPORT_LEASE_SECONDS": 45,
        "IMPORT_TASK_SLICE_SECONDS": 7.5,
        "IMPORT_BASE_URLS": {"bluesky": "https://appview.example.org", "mastodon": "https://m.example"},
        "SIMNET_SHARD_TURNS": 12,
    }


DEFAULTED_READ = re.compile(r"getattr\(\s*(django\.conf\.)?settings\s*,")


def _python_files():
    for folder in ("simnet", "personas", "scraping", "simulations", "bench", "scripts", "tests"):
        yield from (ROOT / folder).rglob("*.py")


def test_no_setting_is_read_with_a_default_of_its_own():
    """A knob read as ``getattr(settings, "X", default)`` is invisible in settings.py and the
    README, and a typo in its name silently gives the default: declare it, read ``settings.X``."""
    assert DEFAULTED_READ.search('n = getattr(settings, "SIMNET_X", 8)')  # the pattern can find one
    this_file = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        if path.resolve() != this_file
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DEFAULTED_READ.search(line)
    ]
    assert found == []
