"""Mastodon status HTML to plain text, with the standard library's tolerant HTML parser.

We never render this HTML, only read its text: tags are dropped, entities decoded, ``<br>`` and
paragraphs become line breaks, and ``script``/``style`` and Mastodon's ``quote-inline``
fallback ("RE: <link>", shown only to clients that cannot display quotes) are left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
_HIDDEN_TAGS = {"script", "style", "template"}
_HIDDEN_CLASSES = {"quote-inline"}


def html_to_text(markup: str) -> str:
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden_depth = 0  # > 0 while inside an element whose text we leave out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden_depth:
            if tag not in _VOID:
                self._hidden_depth += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in _HIDDEN_TAGS or classes & _HIDDEN_CLASSES:
            self._hidden_depth = 0 if tag in _VOID else 1
        elif tag == "br":
            self._parts.append("\n")
        elif tag in _BLOCKS:
            self._parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._hidden_depth and tag == "br":
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_depth:
            if tag not in _VOID:
                self._hidden_depth -= 1
            return
        if tag in _BLOCKS:
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self._parts.append(data)

    def text(self) -> str:
        joined = "".join(self._parts).replace("\xa0", " ")
        lines = [line.rstrip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
