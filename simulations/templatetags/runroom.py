"""Small display helpers for the simulation pages (``{% load runroom %}``)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from simulations.models import RunStatus
from simulations.runs.presenters import avatar_svg, format_duration

register = template.Library()


@register.filter
def avatar(handle: str, size: int = 32) -> SafeString:
    return avatar_svg(handle, int(size))


@register.filter
def status_label(status: str) -> str:
    try:
        return RunStatus(status).label
    except ValueError:
        return status


@register.filter
def money(value: float | Decimal | None) -> str:
    """Dollars with enough precision for cheap runs ($0.0042) and round big ones ($12.50)."""
    if value is None:
        return "—"
    amount = float(value)
    return f"${amount:,.4f}" if 0 < abs(amount) < 1 else f"${amount:,.2f}"


@register.filter
def duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(float(seconds))


@register.filter
def compact(number: float | None) -> str:
    """1234 -> 1.2k, 2500000 -> 2.5M (token counts in tight spaces)."""
    if number is None:
        return "—"
    value = float(number)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"
