"""The step's bulk writes (COPY on PostgreSQL, ``bulk_create`` on SQLite) store exactly what was
given, fail like the ORM on a duplicate, and keep the run's posts equal to its world."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from simulations.models import RunAction, RunEvent, RunPost, RunStatus
from simulations.runs import bulk_copy, worlds
from simulations.runs.services import run_start
from tests.support.runs import drive

AWKWARD = 'tab\there, new\nline, back\\slash, "quotes", \'single\', NUL-free ünïcode ✓, \\N, {"a": 1}'


def _action(run, agent_key: str, **fields) -> dict:
    row = {
        "organization_id": run.organization_id, "run_id": run.pk, "step": 0, "agent_key": agent_key,
        "persona_id": None, "action": "reply", "target_post_key": "p1", "target_agent_key": "",
        "created_post_key": "p2", "text": AWKWARD, "reason": "", "outcome": "ok", "error": "",
        "input_tokens": 12, "output_tokens": 3, "cost_usd": Decimal("0.000123"), "cached": False,
        "seen": ["p1", "s9"],
    }  # fmt: skip
    return {**row, **fields}


@pytest.fixture
def run(fake_scenario, tenancy):
    return run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario, seeds=[3])[0]


@pytest.mark.django_db
def test_every_field_is_stored_as_given_json_as_json_and_left_out_fields_take_defaults(run):
    rows = [_action(run, "a1"), _action(run, "a2", seen=None, text="", cached=True, cost_usd=Decimal(0))]
    with transaction.atomic():
        bulk_copy.insert(RunAction, rows)
        bulk_copy.insert(
            RunEvent, [{"organization_id": run.organization_id, "run_id": run.pk, "seq": 999, "kind": "k"}]
        )

    stored = list(RunAction.unscoped.filter(run=run).order_by("agent_key").values(*rows[0]))
    assert stored == rows  # the JSON list is a list again, not a string; text survives escaping
    event = RunEvent.unscoped.get(run=run, seq=999)
    assert event.payload == {} and event.created_at is not None


@pytest.mark.django_db
def test_a_duplicate_raises_the_orms_integrity_error_and_the_transaction_keeps_nothing(run):
    bulk_copy.insert(RunAction, [_action(run, "a1")])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_copy.insert(RunAction, [_action(run, "a2"), _action(run, "a1")])
    assert list(RunAction.unscoped.filter(run=run).values_list("agent_key", flat=True)) == ["a1"]


@pytest.mark.django_db
def test_an_unknown_field_is_refused_before_anything_is_written(run):
    with pytest.raises((ValueError, TypeError)):
        bulk_copy.insert(RunAction, [_action(run, "a1", no_such_field=1)])
    assert not RunAction.unscoped.filter(run=run).exists()


def test_a_finished_runs_stored_posts_and_counters_are_its_worlds(run):
    finished = drive(run)
    assert finished.status == RunStatus.COMPLETED
    world = worlds.load_world(finished)
    counters = ("likes", "reposts", "quotes", "replies", "impressions")
    stored = {p.post_key: p for p in RunPost.objects.filter(run=finished)}
    assert set(stored) == set(world.posts)
    assert RunEvent.objects.filter(run=finished, kind="counters").exists()  # stored posts were updated
    for key, post in world.posts.items():
        assert [getattr(stored[key], c) for c in counters] == [getattr(post, c) for c in counters], key
    per_step = RunAction.objects.filter(run=finished).values_list("step", flat=True)
    assert sorted(set(per_step)) == list(range(finished.total_steps))
