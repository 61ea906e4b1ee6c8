"""``manage.py import_account``: an X archive, a Bluesky account (from a loopback server) and a CSV become
personas without a worker; a bad file stops with the importer's message and adds nothing; a re-run adds no
duplicates."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from personas.models import Panel, Persona
from scraping.models import ImportJob
from scraping.sources.tabular import TEMPLATE_CSV
from tests.scraping.sources.archive_builder import build_archive, standard_files
from tests.scraping.sources.platforms import serve_bluesky_account, serve_x_account
from tests.support.imports import row_counts

pytestmark = pytest.mark.django_db
NOTHING = {"accounts": 0, "history": 0, "follows": 0, "personas": 0}


def import_account(*args: str) -> str:
    out = StringIO()
    call_command("import_account", "--org", "organization-a", *args, stdout=out)
    return out.getvalue()


def test_an_x_archive_file_is_imported_and_a_second_run_adds_no_duplicates(tenancy, tmp_path):
    archive = tmp_path / "twitter.zip"
    archive.write_bytes(build_archive(standard_files()))

    out = import_account("--connector", "x_archive", "--file", str(archive), "--panel-name", "Founders")

    assert "Imported 1 account with 7 history items into Founders." in out
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 7, "follows": 3, "personas": 1}
    panel = Panel.objects.for_org(tenancy.org_a).get(name="Founders")

    out = import_account("--connector", "x_archive", "--file", str(archive), "--panel", str(panel.pk))

    assert "Imported 1 account with 7 history items into Founders." in out
    assert row_counts(tenancy.org_a) == {"accounts": 1, "history": 7, "follows": 3, "personas": 1}
    assert Panel.objects.for_org(tenancy.org_a).count() == 1 and panel.memberships.count() == 1


def test_a_bluesky_account_is_fetched_from_the_server_given_by_base_url(tenancy, loopback):
    serve_bluesky_account(loopback, datetime.now(UTC))

    out = import_account(
        "--connector", "bluesky", "--handle", "@alice.bsky.social", "--base-url", loopback.base_url
    )

    assert "Found alice.bsky.social" in out and "Imported 1 account with 5 history items" in out
    assert "note: Likes were skipped" in out
    persona = Persona.objects.for_org(tenancy.org_a).get()
    assert (persona.handle, persona.origin) == ("alice.bsky.social", "imported")
    assert loopback.unmatched == []


def test_a_csv_file_is_imported(tenancy, tmp_path):
    table = tmp_path / "history.csv"
    table.write_text(TEMPLATE_CSV, encoding="utf-8")

    out = import_account(
        "--connector", "tabular", "--file", str(table), "--holdout-percent", "0", "--card-budget", "300"
    )

    assert "Imported 1 account with 3 history items" in out
    persona = Persona.objects.for_org(tenancy.org_a).get()
    assert persona.handle == "maria_votes" and 0 < persona.card_tokens <= 300
    assert persona.profile["holdout_count"] == 0


def test_the_x_api_token_is_read_from_the_named_environment_variable(tenancy, loopback, monkeypatch):
    serve_x_account(loopback, datetime.now(UTC))
    monkeypatch.setenv("X_TOKEN_FOR_TEST", "env-token")

    import_account(
        "--connector",
        "x_api",
        "--handle",
        "jack",
        "--token-env",
        "X_TOKEN_FOR_TEST",
        "--base-url",
        loopback.base_url,
    )

    assert loopback.requests[0].headers["authorization"] == "Bearer env-token"
    assert ImportJob.objects.for_org(tenancy.org_a).get().credential_encrypted == ""


def test_a_bad_archive_stops_with_the_importers_message_and_adds_nothing(tenancy, tmp_path):
    archive = tmp_path / "twitter.zip"
    archive.write_bytes(build_archive({**standard_files(), "data/tweets.js": "var tweets = []"}))

    with pytest.raises(CommandError, match="not in X's archive format"):
        import_account("--connector", "x_archive", "--file", str(archive))

    assert row_counts(tenancy.org_a) == NOTHING
    assert not Panel.objects.for_org(tenancy.org_a).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--connector", "bluesky", "--file", "x.zip"], "bluesky imports take --handle"),
        (["--connector", "x_archive", "--handle", "jack"], "x_archive imports take --file"),
        (["--connector", "x_archive", "--file", "/nonexistent/x.zip"], "Cannot read /nonexistent/x.zip"),
        (["--connector", "x_api", "--handle", "jack"], "X (Twitter) API needs a credential"),
        (
            ["--connector", "x_api", "--handle", "jack", "--token-env", "SIMNET_UNSET_VAR"],
            "SIMNET_UNSET_VAR is empty",
        ),
        (["--connector", "bluesky", "--handle", "a.bsky.social", "--panel", "999999"], "no panel #999999"),
    ],
)
def test_wrong_arguments_are_explained(args, message, tenancy):
    with pytest.raises(CommandError, match=re.escape(message)):
        import_account(*args)
    assert not ImportJob.objects.for_org(tenancy.org_a).exists()


def test_an_unknown_organization_is_named(tenancy):
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        call_command("import_account", "--org", "nope", "--connector", "bluesky", "--handle", "a.bsky.social")
