"""Every bad file ends its import with a specific message, adds no row at all, and the corrected file
then imports exactly once."""

from __future__ import annotations

import codecs
import io
import random
import zipfile

import pytest

from personas.models import HistoryItem, Panel
from scraping.models import ImportJob, ImportStagedItem
from scraping.sources.records import MAX_ITEM_TEXT_CHARS
from tests.scraping.sources.archive_builder import build_archive, standard_files, tweet, ytd
from tests.support.imports import row_counts, run, start, upload

pytestmark = pytest.mark.django_db

NOTHING = {"accounts": 0, "history": 0, "follows": 0, "personas": 0}
TWEETS_JS = ytd("tweets", [tweet("1", "caf\xe9")])
HEADER = "handle,kind,item_id,text,created_at"


def archive_with(changes: dict[str, str | bytes]) -> bytes:
    return build_archive({**standard_files(), **changes})


def duplicate_entry_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in standard_files().items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("data/tweets.js", ytd("tweets", [tweet("1", "sneaky")]))
    return buffer.getvalue()


BAD_ARCHIVES = {
    "zip bomb": (
        archive_with({"data/tweets.js": ytd("tweets", []) + " " * 30_000_000}),
        "compressed suspiciously well",
    ),
    "path traversal": (archive_with({"../evil.js": "x"}), "unsafe file path"),
    "absolute path": (archive_with({"/etc/passwd": "x"}), "unsafe file path"),
    "not a zip": (b"%PDF-1.7 not a zip at all", "This file is not a zip archive"),
    "one file of the archive": (
        b'window.YTD.tweets.part0 = [{"tweet": {}}]',
        "single file from inside an X archive",
    ),
    "wrong wrapper": (
        archive_with({"data/tweets.js": 'var tweets = [{"tweet": {}}]'}),
        "not in X's archive format",
    ),
    "malformed JSON": (
        archive_with(
            {
                "data/tweets.js": 'window.YTD.tweets.part0 = [\n  {\n    "tweet" : {\n      "id_str" : "1"\n      "x": 1'
            }
        ),
        "data/tweets.js is damaged: invalid JSON at line 5",
    ),
    "UTF-16 with a BOM": (archive_with({"data/tweets.js": TWEETS_JS.encode("utf-16")}), "encoded as UTF-16"),
    "NUL bytes": (
        archive_with({"data/tweets.js": TWEETS_JS.encode().replace("é".encode(), b"\x00")}),
        "NUL byte",
    ),
    "Latin-1": (archive_with({"data/tweets.js": TWEETS_JS.encode("latin-1")}), "not valid UTF-8"),
    "duplicate entries": (duplicate_entry_archive(), "contains 'data/tweets.js' twice"),
}

BAD_CSVS = {
    "unknown columns": (b"handle,kind,item_id,tweet\na,post,1,x\n", "Unknown column(s): 'tweet'"),
    "conflicting duplicate rows": (
        f"{HEADER}\na,post,1,first,\na,post,1,second,\n".encode(),
        "item_id '1' (post by @a) was already used on line 2 with a different text",
    ),
    "UTF-16 with a BOM": (f"{HEADER}\na,post,1,x,\n".encode("utf-16"), "encoded as UTF-16"),
    "NUL bytes": (
        f"{HEADER}\na,post,1,bad\x00byte,\n".encode(),
        "contains a NUL byte (a zero byte) on line 2",
    ),
    "Latin-1": (f"{HEADER}\na,post,1,café,\n".encode("latin-1"), "is not valid UTF-8"),
    "malformed JSONL": (b'{"handle": "a", "kind": "post", "item_id": "1"}\n{"handle": \n', "line 2"),
}


GOOD_ARCHIVE = build_archive(standard_files())
GOOD_CSV = f"{HEADER}\na,post,1,first,\na,post,2,second,\n".encode()


def assert_failed_cleanly(job: ImportJob, message: str, organization, settings) -> None:
    assert job.status == ImportJob.Status.FAILED
    assert any(message in error for error in job.errors), job.errors
    assert row_counts(organization) == NOTHING
    assert not Panel.objects.for_org(organization).exists(), "no empty panel is left behind"
    assert not ImportStagedItem.objects.for_org(organization).exists()
    stored = [path for path in (settings.MEDIA_ROOT / "imports").rglob("*") if path.is_file()]
    assert not stored, "a rejected upload is deleted"
    assert not job.retryable


@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_bad_archives_fail_with_a_specific_message_and_add_nothing(case, tenancy, settings):
    data, message = BAD_ARCHIVES[case]

    job = run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("archive.zip", data)))

    assert_failed_cleanly(job, message, tenancy.org_a, settings)
    corrected = run(
        start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("archive.zip", GOOD_ARCHIVE))
    )
    assert corrected.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 7, "follows": 3, "personas": 1}


@pytest.mark.parametrize("case", sorted(BAD_CSVS))
def test_bad_tables_fail_with_a_specific_message_and_add_nothing(case, tenancy, settings):
    data, message = BAD_CSVS[case]
    name = "history.jsonl" if "JSONL" in case else "history.csv"

    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload(name, data)))

    assert_failed_cleanly(job, message, tenancy.org_a, settings)
    corrected = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", GOOD_CSV)))
    assert corrected.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 2, "follows": 0, "personas": 1}


def test_every_row_problem_is_listed_separately(tenancy):
    data = f"{HEADER}\na,post,1,ok,\na,shout,2,x,\nb,post,,y,\na,post,3,z,yesterday\n".encode()

    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", data)))

    assert (
        job.errors[0] == "The file has 3 problems; nothing was imported. Fix them and upload the file again:"
    )
    assert [e.split(":")[0] for e in job.errors[1:]] == ["line 3", "line 4", "line 5"]


def test_identical_repeated_rows_import_once_with_a_note(tenancy):
    data = f"{HEADER}\na,post,1,same,\na,post,1,same,\n".encode()

    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", data)))

    assert job.status == ImportJob.Status.COMPLETED
    assert row_counts(tenancy.org_a)["history"] == 1
    assert any("repeat an earlier row exactly" in note for note in job.notes), job.notes


def test_a_utf8_bom_is_fine(tenancy):
    data = codecs.BOM_UTF8 + f"{HEADER}\na,post,1,café,\n".encode()

    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", data)))

    assert job.status == ImportJob.Status.COMPLETED


def test_after_a_rejected_file_the_corrected_file_imports_once(tenancy):
    bad = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "x_archive",
            upload=upload("a.zip", archive_with({"data/tweets.js": "var x = []"})),
        )
    )
    assert bad.status == ImportJob.Status.FAILED

    good = build_archive(standard_files())
    run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", good)))
    run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", good)))

    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 7, "follows": 3, "personas": 1}


HUGE_NUMBER = "9" * 5000  # Python refuses int() of more than 4,300 digits
HUGE_NUMBER_CASES = {
    "CSV count": (
        "history.csv",
        f"handle,kind,item_id,like_count\na,post,1,{HUGE_NUMBER}\n".encode(),
        "line 2: like_count must be a whole number from 0 to 2,147,483,647, not '9999",
    ),
    "CSV count over the column range": (
        "history.csv",
        b"handle,kind,item_id,like_count\na,post,1,2147483648\n",
        "like_count must be a whole number from 0 to 2,147,483,647, not '2147483648'",
    ),
    "JSONL number": (
        "history.jsonl",
        f'{{"handle": "a", "kind": "post", "item_id": "1", "like_count": {HUGE_NUMBER}}}\n'.encode(),
        "line 1 has a number with 5,000 digits (at most 100 allowed)",
    ),
    "archive number": (
        "archive.zip",
        archive_with(
            {
                "data/tweets.js": ytd("tweets", [tweet("1", "hi", favorite_count="N")]).replace(
                    '"N"', HUGE_NUMBER
                )
            }
        ),
        "data/tweets.js is damaged: it holds a number with 5,000 digits",
    ),
}


@pytest.mark.parametrize("case", sorted(HUGE_NUMBER_CASES))
def test_a_5000_digit_number_gets_a_specific_error_not_an_internal_one(case, tenancy, settings):
    name, data, message = HUGE_NUMBER_CASES[case]
    connector = "x_archive" if name.endswith(".zip") else "tabular"

    job = run(start(tenancy.org_a, tenancy.member, connector, upload=upload(name, data)))

    assert_failed_cleanly(job, message, tenancy.org_a, settings)
    assert not any("internal error" in error for error in job.errors)


def test_a_5000_digit_count_string_in_an_archive_is_dropped_not_fatal(tenancy):
    data = archive_with({"data/tweets.js": ytd("tweets", [tweet("1", "hi", favorite_count=HUGE_NUMBER)])})

    job = run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", data)))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    assert HistoryItem.objects.for_org(tenancy.org_a).get(platform_id="1").like_count is None


FIVE_MIB = 5 * 1024 * 1024
LONG_TEXT_CASES = {
    "JSONL, 5 MiB": (
        "h.jsonl",
        f'{{"handle": "a", "kind": "post", "item_id": "1", "text": "{"x" * FIVE_MIB}"}}\n'.encode(),
        "line 1: text is 5,242,880 characters long; the limit is 25,000 per item",
    ),
    "CSV, 100,000 characters": (
        "h.csv",
        f"{HEADER}\na,post,1,{'x' * 100_000},\na,post,2,fine,\n".encode(),
        "line 2: text is 100,000 characters long; the limit is 25,000 per item",
    ),
    "CSV, 5 MiB": (
        "h.csv",
        f"{HEADER}\na,post,1,{'x' * FIVE_MIB},\n".encode(),
        "line 2 has a value over 131,072 characters; text may have at most 25,000",
    ),
}


@pytest.mark.parametrize("case", sorted(LONG_TEXT_CASES))
def test_a_table_row_with_text_over_the_item_cap_is_refused_with_a_row_error(case, tenancy, settings):
    name, data, message = LONG_TEXT_CASES[case]

    job = run(start(tenancy.org_a, tenancy.member, "tabular", upload=upload(name, data)))

    assert_failed_cleanly(job, message, tenancy.org_a, settings)


def test_an_archive_item_over_the_text_cap_is_cut_with_a_note(tenancy):
    incompressible = random.Random(5).randbytes(FIVE_MIB // 2).hex()  # a zip bomb check guards ratios
    data = archive_with({"data/tweets.js": ytd("tweets", [tweet("1", incompressible)])})

    job = run(start(tenancy.org_a, tenancy.member, "x_archive", upload=upload("a.zip", data)))

    assert job.status == ImportJob.Status.COMPLETED, job.errors
    stored = HistoryItem.objects.for_org(tenancy.org_a).get(platform_id="1")
    assert len(stored.text) == MAX_ITEM_TEXT_CHARS
    assert any("1 item had text longer than 25,000 characters" in note for note in job.notes), job.notes


def test_an_internal_error_deletes_the_upload_and_what_was_staged(tenancy, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("scraping.runner.batch_publish", broken)
    job = start(tenancy.org_a, tenancy.member, "tabular", upload=upload("h.csv", GOOD_CSV))

    with pytest.raises(RuntimeError):
        run(job)

    job.refresh_from_db()
    assert_failed_cleanly(job, "An internal error stopped this import", tenancy.org_a, settings)
    assert not HistoryItem.unscoped.filter(organization=tenancy.org_a).exists(), "staged rows are removed"
