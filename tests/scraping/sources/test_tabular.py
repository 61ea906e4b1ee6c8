from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraping.sources.errors import RowErrors, UploadRejected
from scraping.sources.records import HistoryKind
from scraping.sources.tabular import ALLOWED_COLUMNS, SCHEMA_DOC, TEMPLATE_CSV, TabularLimits, parse_tabular

HEADER = "handle,kind,item_id,text,created_at"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_the_template_is_a_valid_upload_and_the_doc_lists_every_column():
    [bundle] = parse_tabular(TEMPLATE_CSV.encode(), filename="template.csv")

    assert bundle.account.handle == "maria_votes" and bundle.account.display_name == "María López"
    assert [record.kind for record in bundle.history] == [
        HistoryKind.POST,
        HistoryKind.REPLY,
        HistoryKind.LIKE,
    ]
    assert bundle.history[2].created_at == datetime(2024, 5, 2, 16, 40, tzinfo=UTC)
    assert TEMPLATE_CSV.splitlines()[0] == ",".join(ALLOWED_COLUMNS) and len(TEMPLATE_CSV.splitlines()) == 4
    for column in ALLOWED_COLUMNS:
        assert f"| `{column}` |" in SCHEMA_DOC
    assert "target_text" in ALLOWED_COLUMNS
    assert (
        bundle.history[1].target_text == "Should the Main St bus lane run all night? Tell us before Friday."
    )
    assert "parent_text" in SCHEMA_DOC


def test_parent_columns_community_and_score_round_trip_under_either_name():
    data = csv_bytes(
        "handle,kind,item_id,text,parent_id,parent_author,parent_text,community,score",
        'ann,reply,1,Nope,t3_9,@bob,"Pineapple, on pizza?",r/food,-4',
        "ann,post,2,Hi,,,,,+12",
    )
    jsonl = json.dumps(
        {
            "handle": "ann",
            "kind": "reply",
            "item_id": "1",
            "text": "Nope",
            "target_id": "t3_9",
            "target_author": "bob",
            "target_text": "Pineapple, on pizza?",
            "community": "r/food",
            "score": -4,
        }
    ).encode()

    [from_csv] = parse_tabular(data, filename="f.csv")
    [from_jsonl] = parse_tabular(jsonl, filename="f.jsonl")

    reply, post = from_csv.history
    assert (reply.target_id, reply.target_author, reply.target_text, reply.community, reply.score) == (
        "t3_9",
        "bob",
        "Pineapple, on pizza?",
        "r/food",
        -4,
    )
    assert (post.target_text, post.community, post.score) == ("", "", 12)
    assert from_jsonl.history == [reply]


def test_bad_scores_and_a_doubled_alias_are_reported_with_their_line():
    data = csv_bytes("handle,kind,item_id,score", "a,post,1,5", "a,post,2,lots", "a,post,3,-99999999999")
    doubled = json.dumps({"handle": "a", "kind": "like", "item_id": "1", "target_id": "9", "parent_id": "9"})

    with pytest.raises(RowErrors) as caught:
        parse_tabular(data, filename="f.csv")
    with pytest.raises(RowErrors) as caught_jsonl:
        parse_tabular(doubled.encode(), filename="f.jsonl")
    with pytest.raises(UploadRejected, match="target_id appear more than once"):
        parse_tabular(csv_bytes("handle,kind,item_id,target_id,parent_id", "a,like,1,9,9"), filename="f.csv")

    assert caught.value.errors == [
        "line 3: score must be a whole number from -2,147,483,647 to 2,147,483,647, not 'lots'.",
        "line 4: score must be a whole number from -2,147,483,647 to 2,147,483,647, not '-99999999999'.",
    ]
    assert caught_jsonl.value.errors == [
        "line 1 has both 'parent_id' and 'target_id'; they are the same field, keep one."
    ]


def test_rows_become_one_bundle_per_handle_with_account_fields_from_the_first_row_that_has_them():
    data = csv_bytes(
        "handle,kind,item_id,text,created_at,target_id,target_author,like_count,display_name,bio",
        "@Ann,post,1,Hello,2024-01-01T10:00:00Z,,,5,,",
        "ben,repost,2,,2024-01-02,77,@cara,,Ben B,",
        'ann,reply,3,"Multi\nline, with comma",2024-01-03T10:00:00+01:00,1,ann,0,Ann A,Likes tea',
        "ANN,like,4,,,99,dan,,Other Name,Other bio",
    )
    progress = []

    ann, ben = parse_tabular(data, filename="history.CSV", progress=lambda *event: progress.append(event))

    assert (ann.account.platform, ann.account.handle, ann.account.display_name, ann.account.bio) == (
        "csv",
        "Ann",
        "Ann A",
        "Likes tea",
    )
    assert [record.platform_id for record in ann.history] == ["1", "3", "4"]
    assert ann.history[0].like_count == 5 and ann.history[0].repost_count is None
    assert ann.history[1].text == "Multi\nline, with comma"
    assert ann.history[1].created_at == datetime(2024, 1, 3, 9, 0, tzinfo=UTC)
    assert (ben.history[0].created_at, ben.history[0].target_author) == (
        datetime(2024, 1, 2, tzinfo=UTC),
        "cara",
    )
    assert progress[-1] == (4, 4, "Checked 4 rows")


def test_jsonl_uses_the_same_fields():
    lines = [
        {"handle": "ann", "kind": "post", "item_id": 1, "text": "Hi\u2028there", "like_count": 2.0},
        {"handle": "ann", "kind": "quote", "item_id": "2", "target_id": "9", "created_at": None},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b"\n\n"

    [bundle] = parse_tabular(data, filename="history.jsonl")

    assert [(record.platform_id, record.kind, record.like_count) for record in bundle.history] == [
        ("1", HistoryKind.POST, 2),
        ("2", HistoryKind.QUOTE, None),
    ]
    assert bundle.history[0].text == "Hi\u2028there"


def test_unknown_columns_are_named_with_the_allowed_ones():
    with pytest.raises(
        UploadRejected,
        match=r"Unknown column\(s\): 'tweet', 'likes'\. Allowed columns: handle, kind, item_id",
    ):
        parse_tabular(csv_bytes("handle,kind,item_id,tweet,likes", "a,post,1,x,2"), filename="f.csv")


def test_missing_required_columns_are_named():
    with pytest.raises(UploadRejected, match=r"Missing required column\(s\): kind, item_id\."):
        parse_tabular(csv_bytes("handle,text", "a,hello"), filename="f.csv")


def test_unnamed_and_repeated_header_columns_are_refused():
    with pytest.raises(
        UploadRejected, match=r"Header column\(s\) 4 have no name.*text appear more than once"
    ):
        parse_tabular(csv_bytes("handle,kind,item_id,,text,text", "a,post,1,,x,y"), filename="f.csv")


def test_every_row_problem_is_reported_with_its_line_and_nothing_is_imported():
    data = csv_bytes(
        HEADER,
        "a,post,1,ok,2024-01-01",
        "a,tweet,2,bad kind,2024-01-01",
        "a,post,3,bad date,05/01/2024",
        ",post,,no handle or id,",
        'a,post,4,"unterminated,2024-01-01',
    )

    with pytest.raises(RowErrors) as caught:
        parse_tabular(data, filename="f.csv")

    assert caught.value.errors == [
        "line 3: kind 'tweet' is not one of post, reply, quote, repost, like.",
        "line 4: created_at '05/01/2024' is not an ISO 8601 date such as 2024-05-01T08:15:00Z.",
        "line 5: handle is missing.",
        "line 5: item_id is missing.",
        "line 6 has 4 values but the header has 5 columns (text containing commas must be in double quotes).",
    ]
    assert str(caught.value).startswith("The file has 5 problems; nothing was imported.")


def test_bad_counts_and_row_length_are_reported():
    data = csv_bytes(
        "handle,kind,item_id,like_count,reply_count", "a,post,1,-3,2", "a,post,2,many,", "a,post,3,1,2,extra"
    )

    with pytest.raises(RowErrors) as caught:
        parse_tabular(data, filename="f.csv")

    assert caught.value.errors == [
        "line 2: like_count must be a whole number from 0 to 2,147,483,647, not '-3'.",
        "line 3: like_count must be a whole number from 0 to 2,147,483,647, not 'many'.",
        "line 4 has 6 values but the header has 5 columns (text containing commas must be in double quotes).",
    ]


def test_long_error_lists_are_cut_with_a_count_of_the_rest():
    data = csv_bytes(HEADER, *[f"a,bogus,{n},x," for n in range(60)])

    with pytest.raises(RowErrors) as caught:
        parse_tabular(data, filename="f.csv", limits=TabularLimits(max_listed_errors=50))

    message = str(caught.value)
    assert len(caught.value.errors) == 60
    assert message.count("\n- line") == 50 and message.endswith("\n- and 10 more")


def test_identical_repeated_rows_are_skipped_and_counted():
    data = csv_bytes(
        HEADER,
        "a,post,1,same,2024-01-01",
        "a,post,1,same,2024-01-01",
        "a,like,1,,",
        "a,post,1,same,2024-01-01",
    )

    [bundle] = parse_tabular(data, filename="f.csv")

    assert [(record.kind, record.platform_id) for record in bundle.history] == [
        (HistoryKind.POST, "1"),
        (HistoryKind.LIKE, "1"),
    ]
    assert bundle.notes == ["Skipped 2 rows that repeat an earlier row exactly."]


def test_same_item_id_with_different_content_names_both_lines():
    data = csv_bytes(
        HEADER, "a,post,1,first,2024-01-01", "b,post,1,other handle is fine,", "A,post,1,changed,2024-01-02"
    )

    with pytest.raises(
        RowErrors,
        match=r"line 4: item_id '1' \(post by @A\) was already used on line 2 with a different text, created_at\.",
    ):
        parse_tabular(data, filename="f.csv")


def test_jsonl_row_problems():
    data = b'{"handle": "a", "kind": "post", "item_id": "1"}\nnot json\n[1, 2]\n{"handle": "a", "kind": "post", "item_id": "2", "retweets": 1}\n{"handle": "a", "kind": "post", "item_id": true}\n'

    with pytest.raises(RowErrors) as caught:
        parse_tabular(data, filename="f.ndjson")

    errors = caught.value.errors
    assert errors[0].startswith("line 2 is not valid JSON")
    assert errors[1] == 'line 3 must be a JSON object such as {"handle": ..., "kind": ...}.'
    assert errors[2].startswith("line 4 has unknown field(s) 'retweets'; allowed: handle, kind")
    assert errors[3] == "line 5 field 'item_id' must be text or a whole number."


def test_a_utf8_byte_order_mark_is_accepted():
    [bundle] = parse_tabular(codecs.BOM_UTF8 + csv_bytes(HEADER, "a,post,1,café,"), filename="f.csv")

    assert bundle.history[0].text == "café"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            csv_bytes(HEADER, "a,post,1,ok,", "a,post,2,bad\x00byte,"),
            r"contains a NUL byte \(a zero byte\) on line 3",
        ),
        ((HEADER + "\na,post,1,café,\n").encode("latin-1"), "is not valid UTF-8: byte 48 on line 2"),
        ((HEADER + "\na,post,1,x,\n").encode("utf-16"), "encoded as UTF-16"),
        ((HEADER + "\na,post,1,x,\n").encode("utf-16-be"), "looks like UTF-16"),
    ],
)
def test_encoding_problems(data, message):
    with pytest.raises(UploadRejected, match=message):
        parse_tabular(data, filename="f.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (codecs.BOM_UTF8 + b"\n  \n", "The file is empty"),
        (csv_bytes(HEADER), "a header but no rows"),
    ],
)
def test_empty_files(data, message):
    with pytest.raises(UploadRejected, match=message):
        parse_tabular(data, filename="f.csv")


def test_oversized_files_are_refused_before_reading():
    data = csv_bytes(HEADER, "a,post,1,x,")

    with pytest.raises(UploadRejected, match="The file is .* MB; the limit is"):
        parse_tabular(io.BytesIO(data), filename="f.csv", limits=TabularLimits(max_bytes=len(data) - 1))


def test_too_many_rows_are_refused():
    data = csv_bytes(HEADER, *[f"a,post,{n},x," for n in range(4)])

    with pytest.raises(UploadRejected, match="more than 3 rows"):
        parse_tabular(data, filename="f.csv", limits=TabularLimits(max_rows=3))


@pytest.mark.parametrize(
    ("filename", "hint"), [("data.xlsx", "save the sheet as 'CSV UTF-8'"), ("notes.txt", "is neither")]
)
def test_unsupported_file_types(filename, hint):
    with pytest.raises(UploadRejected, match=hint):
        parse_tabular(b"x", filename=filename)


def test_rows_written_by_the_csv_module_round_trip():
    rows = [
        {"handle": "q", "kind": "post", "item_id": str(n), "text": f'He said "hi", {n}\r\nthen left'}
        for n in range(3)
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["handle", "kind", "item_id", "text"])
    writer.writeheader()
    writer.writerows(rows)

    [bundle] = parse_tabular(out.getvalue().encode(), filename="f.csv")

    assert [record.text for record in bundle.history] == [row["text"].strip() for row in rows]


def test_a_field_too_long_for_csv_is_reported_with_its_line():
    data = csv_bytes(HEADER, "a,post,1,short,", "a,post,2," + "x" * 200_000 + ",")

    with pytest.raises(
        RowErrors, match=r"line 3 has a value over 131,072 characters; text may have at most 25,000"
    ):
        parse_tabular(data, filename="f.csv")


cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["post", "reply", "quote", "repost", "like"]),
            cell_text,
            st.none() | st.integers(0, 10**6),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_rows_written_as_csv_come_back_unchanged(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["handle", "kind", "item_id", "text", "like_count"])
    writer.writeheader()
    for item_id, (kind, text, likes) in enumerate(rows):
        writer.writerow({"handle": "h", "kind": kind, "item_id": item_id, "text": text, "like_count": likes})

    [bundle] = parse_tabular(out.getvalue().encode(), filename="f.csv")

    assert [(r.kind.value, r.text, r.like_count) for r in bundle.history] == [
        (kind, text.strip(), likes) for kind, text, likes in rows
    ]
