"""Fixtures for panel and persona tests: media in a temp dir, and panels of every kind built through the
real services."""

from __future__ import annotations

import pytest

# Imported text is data: every field a customer's file can fill carries markup that must come out escaped.
XSS = "<script>alert('x')</script>"
ESCAPED_XSS = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
IMPORTED_HEADER = "handle,kind,item_id,text,created_at,target_author,display_name,bio"


@pytest.fixture(autouse=True)
def _media_in_a_temp_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def imported_csv() -> bytes:
    """One account, ten timed items (so the newest two are held out), markup in every text field."""
    rows = [
        f'maria,post,{n},"Bus lanes now, day {n} {XSS} #transit",2024-05-{n:02d}T08:00:00Z,,,'
        for n in range(1, 9)
    ]
    rows[0] = f'maria,post,1,"First post {XSS} #transit",2024-05-01T08:00:00Z,,"Maria {XSS}","Nurse {XSS}"'
    rows += [
        f'maria,reply,9,"@citytransit agreed {XSS}",2024-05-09T08:00:00Z,citytransit,,',
        "maria,like,10,,2024-05-10T08:00:00Z,localnews,,",
    ]
    return ("\n".join([IMPORTED_HEADER, *rows]) + "\n").encode()


@pytest.fixture
def imported_panel(tenancy):
    """A panel made by importing ``imported_csv`` as a member of organization A would."""
    from personas.models import Panel
    from tests.support.imports import run, start, upload

    job = run(
        start(
            tenancy.org_a,
            tenancy.member,
            "tabular",
            upload=upload("maria.csv", imported_csv()),
            panel_name="Transit riders",
        )
    )
    assert job.status == "completed", job.errors
    return Panel.objects.for_org(tenancy.org_a).get(pk=job.panel_id)


@pytest.fixture
def board_panel(tenancy):
    from personas.services.synthetic import panel_create_board

    return panel_create_board(organization=tenancy.org_a, actor=tenancy.member, name="Board")


@pytest.fixture
def population_panel(tenancy):
    from personas.services.synthetic import panel_create_population

    return panel_create_population(
        organization=tenancy.org_a,
        actor=tenancy.member,
        n=60,
        seed=3,
        name="Voters",
        quotas={"party": {"Democrat": 50, "Republican": 50}},
    )
