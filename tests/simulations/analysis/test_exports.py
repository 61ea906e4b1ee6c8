"""CSV, JSONL and Parquet round trips of actions, posts and per-step metrics."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from simulations.analysis.exports import (
    export_records,
    load_records,
    read_csv,
    read_jsonl,
    read_parquet,
    write_csv,
    write_jsonl,
    write_parquet,
)
from simulations.analysis.metrics import EngagementCounts, engagement_by_step, engagement_totals
from simulations.analysis.records import ActionKind, ActionRecord, PersonaRecord, PostKind, PostRecord
from tests.support.peloton import backlash_run

POSTS = (
    PostRecord(
        "s",
        "brand",
        PostKind.POST,
        'The gift, "that gives back",\nfor her.',
        0,
        is_stimulus=True,
        stimulus_id="A",
    ),
    PostRecord("r1", "p1", PostKind.REPLY, "Sexist 😬, body-shaming; yikes", 1, parent_id="s", root_id="s"),
    PostRecord("rp", "p2", PostKind.REPOST, "", 2, parent_id="s", root_id="s"),
)
ACTIONS = (
    ActionRecord(1, "p1", ActionKind.REPLY, "s", "r1", "Sexist 😬, body-shaming; yikes"),
    ActionRecord(2, "p3", ActionKind.FOLLOW, target_persona_id="p1"),
    ActionRecord(2, "p4", ActionKind.ERROR, outcome="provider error: timeout, retried"),
)
FORMATS = [(write_csv, read_csv), (write_jsonl, read_jsonl), (write_parquet, read_parquet)]


@pytest.mark.parametrize(("write", "read"), FORMATS)
@pytest.mark.parametrize(
    ("records", "record_type"),
    [
        (POSTS, PostRecord),
        (ACTIONS, ActionRecord),
        (tuple(engagement_by_step(backlash_run().actions, backlash_run().impressions)), EngagementCounts),
        ((engagement_totals(ACTIONS),), EngagementCounts),
        ((), ActionRecord),
    ],
)
def test_round_trip(tmp_path, write, read, records, record_type):
    path = tmp_path / "records"
    write(path, records, record_type)
    assert read(path, record_type) == list(records)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_export_by_extension(tmp_path, suffix):
    path = tmp_path / f"actions{suffix}"
    export_records(path, ACTIONS, ActionRecord)
    assert load_records(path, ActionRecord) == list(ACTIONS)


def test_csv_keeps_the_column_names_and_empty_cells(tmp_path):
    path = tmp_path / "actions.csv"
    write_csv(path, ACTIONS[1:2], ActionRecord)
    header, row = path.read_text(encoding="utf-8").splitlines()
    assert header == "step,persona_id,action,target_post_id,created_post_id,text,outcome,target_persona_id"
    assert row == "2,p3,follow,,,,ok,p1"


def test_unknown_formats_and_nested_records_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_records(tmp_path / "a.xlsx", ACTIONS, ActionRecord)
    with pytest.raises(ValueError, match="unknown export format"):
        load_records(tmp_path / "a.txt", ActionRecord)
    with pytest.raises(TypeError, match="not a flat column"):
        write_csv(tmp_path / "p.csv", [PersonaRecord("p1")], PersonaRecord)


def test_a_missing_required_value_is_an_error(tmp_path):
    @dataclass(frozen=True)
    class Row:
        step: int

    path = tmp_path / "rows.csv"
    path.write_text("step\n\n3\n,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a value"):
        read_csv(path, Row)
