"""The calibration plot drawn on the server as SVG, like the cascade tree (no script needed).

Each reliability bin is a point at (mean predicted, observed rate), its area proportional to the
bin's count, against the diagonal of perfect calibration; the caption gives the Brier score and n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SIZE, MARGIN = 240, 36
MAX_RADIUS = 12


def _x(p: float) -> float:
    return MARGIN + p * SIZE


def _y(p: float) -> float:
    return MARGIN + (1 - p) * SIZE


def calibration_svg(reliability: Mapping) -> SafeString:
    """``Reliability.to_dict()`` as an SVG figure (empty bins are not drawn)."""
    filled = [b for b in reliability["bins"] if b["count"]]
    largest = max((b["count"] for b in filled), default=1)
    points = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="{}" fill="#2563eb" fill-opacity="0.6">'
        "<title>predicted {}, observed {}, n = {}</title></circle>",
        (
            (
                f"{_x(b['mean_predicted']):.1f}", f"{_y(b['observed_rate']):.1f}",
                f"{max(2.0, MAX_RADIUS * math.sqrt(b['count'] / largest)):.1f}",
                f"{b['mean_predicted']:.3f}", f"{b['observed_rate']:.3f}", b["count"],
            )
            for b in filled
        ),
    )  # fmt: skip
    end = MARGIN + SIZE
    return format_html(
        '<figure class="calibration-plot"><svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{w}" '
        'role="img" aria-label="calibration plot">'
        '<rect x="{m}" y="{m}" width="{s}" height="{s}" fill="none" stroke="#9ca3af"/>'
        '<line x1="{m}" y1="{e}" x2="{e}" y2="{m}" stroke="#9ca3af" stroke-dasharray="4 4"/>'
        "{points}"
        '<text x="{cx}" y="{below}" text-anchor="middle" font-size="11">predicted probability</text>'
        '<text x="12" y="{cx}" text-anchor="middle" font-size="11" transform="rotate(-90 12 {cx})">'
        "observed rate</text>"
        '<text x="{m}" y="{ticks}" font-size="10">0</text><text x="{e}" y="{ticks}" font-size="10" '
        'text-anchor="end">1</text></svg>'
        "<figcaption>Calibration of p(engage): Brier {brier}, n = {n}{slope}</figcaption></figure>",
        w=SIZE + 2 * MARGIN, m=MARGIN, s=SIZE, e=end, points=points, cx=MARGIN + SIZE / 2,
        below=end + 28, ticks=end + 12, brier=f"{reliability['brier']:.4f}", n=reliability["n"],
        slope="" if reliability.get("slope") is None else f", slope {reliability['slope']:.2f}",
    )  # fmt: skip
