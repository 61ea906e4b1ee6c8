"""Every model change ships with its migration: ``makemigrations --check`` runs in the suite."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db  # makemigrations compares the migration history with the database


def makemigrations_check(out: StringIO) -> None:
    """Exits with status 1 when a model differs from what its migrations build."""
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_no_model_change_lacks_its_migration():
    out = StringIO()
    makemigrations_check(out)
    assert out.getvalue().strip() == "No changes detected"


def test_the_check_fails_on_a_model_change_without_a_migration(monkeypatch):
    from simnet.tenancy.models import Organization

    name = Organization._meta.get_field("name")
    monkeypatch.setattr(name, "max_length", name.max_length + 1)
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        makemigrations_check(out)
    assert exited.value.code == 1
    assert "Alter field name on organization" in out.getvalue()
