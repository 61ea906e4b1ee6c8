"""Number formats for the report pages: missing values show as a dash, never as "None"."""

from __future__ import annotations

from django import template

register = template.Library()
MISSING = "—"


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """0.256 -> "26%" (``|percent:1`` -> "25.6%")."""
    return MISSING if value is None else f"{value * 100:.{int(digits)}f}%"


@register.filter
def num(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (2.0 -> "2", 0.12345 -> "0.123")."""
    return MISSING if value is None else f"{value:.{int(digits)}g}"


@register.filter
def pvalue(value: float | None) -> str:
    if value is None:
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@register.filter
def signed(value: float | None, digits: int = 3) -> str:
    """A difference with its sign: +0.12, -0.3."""
    return MISSING if value is None else f"{value:+.{int(digits)}g}"


@register.filter
def get(mapping: dict, key: str):
    """``mapping|get:key`` for keys held in a variable (or with characters templates cannot spell)."""
    return mapping.get(key) if mapping else None


@register.filter
def label(name: str) -> str:
    """A snake_case name as words: "quote_repost_ratio" -> "Quote repost ratio"."""
    return str(name).replace("_", " ").capitalize()


TEST_NAMES = {
    "welch_t": "Welch's t-test",
    "mann_whitney_u": "Mann-Whitney U",
    "chi_squared": "Chi-squared",
    "fisher_exact": "Fisher's exact test",
    "identical": "No test (identical values)",
    "none": "No test",
}


@register.filter
def test_name(name: str) -> str:
    """The statistical test's name as people write it ("mann_whitney_u" -> "Mann-Whitney U")."""
    return TEST_NAMES.get(name, label(name))
