"""Reading the pages' HTML in tests: element ids and the out-of-band swaps of a fragment."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.oob: list[tuple[str, str]] = []  # (hx-swap-oob value, id of the element carrying it)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if "hx-swap-oob" in attributes:
            self.oob.append((attributes["hx-swap-oob"], attributes.get("id", "")))


def collect(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


def oob_targets(html: str) -> list[str]:
    """The element ids a fragment's out-of-band swaps need on the page."""
    targets = []
    for value, element_id in collect(html).oob:
        if ":" in value:
            targets.append(value.split(":", 1)[1].lstrip("#"))
        else:
            targets.append(element_id)
    return targets


def inserted_ids(html: str) -> list[str]:
    """Ids of elements a fragment adds to the page (what later fragments may target)."""
    return collect(html).ids
