"""Every bad file ends its import with a specific message, adds no row at all, and the corrected file
then imports exactly once."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest

from personas.models import Panel
from scraping.models import ImportJob, ImportStagedItem
from tests.imports.helpers import row_counts, run, start, upload
from tests.scraping.archive_builder import build_archive, standard_files, tweet, ytd

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
