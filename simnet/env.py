"""Typed reads of environment variables; settings come only from the environment.

They fail closed: a value that cannot be read raises at startup instead of falling back to a
default (``SIMNET_PRODUCTION=Ture`` must not start a server with DEBUG on and the dev key).
"""

from __future__ import annotations

import os

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class InvalidSetting(ValueError):
    """An environment variable holds a value its setting cannot take."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """True/false from the spellings above (any case); unset or empty gives ``default``."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    accepted = ", ".join(sorted(TRUE_WORDS | FALSE_WORDS))
    raise InvalidSetting(f"{name}={os.environ[name]!r} is not a boolean; use one of: {accepted}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidSetting(f"{name}={raw!r} is not a whole number") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidSetting(f"{name}={raw!r} is not a number") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_map(name: str) -> dict[str, str]:
    """``key=value,key=value`` as a dict; an item without ``=`` raises."""
    pairs = {}
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidSetting(f"{name}: {item!r} is not key=value")
        pairs[key.strip()] = value.strip()
    return pairs
