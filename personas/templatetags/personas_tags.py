"""Small display helpers for the panel and persona pages (all output is auto-escaped text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()

SUMMARY_TRAITS = ("age_group", "party", "ideology", "education", "platform", "language", "tone", "activity")
MAX_SUMMARY = 3


@register.filter
def percent(share: float | None, digits: int = 0) -> str:
    """0.4025 -> "40%" (or with ``digits`` decimals); None -> "—"."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(digits)}f}%"


@register.filter
def trait_summary(traits: Mapping[str, Any] | None) -> str:
    """A few telling traits of a persona for a table cell: "45-64 · Republican · conservative"."""
    traits = traits or {}
    values = [str(traits[key]) for key in SUMMARY_TRAITS if isinstance(traits.get(key), str) and traits[key]]
    return " · ".join(values[:MAX_SUMMARY])


@register.filter
def label(key: str) -> str:
    """``age_group`` -> "Age group"."""
    return str(key).replace("_", " ").capitalize()
