"""The audience steps of an import job: list and sample once, then each sampled account, staged apart.

An audience job (``ImportJob.audience`` set) lists the candidate accounts, samples them with its
seed and stores the sample; then ``runner`` imports the sampled accounts one at a time with the
ordinary per-account connector, staging each one's pages under its address. An account that
turns out deleted, protected or refused is recorded in ``account_failures`` and skipped; more
failures than ``audience["max_failures"]`` fail the job, and a failed job publishes nothing (the
staged rows never reached the real tables). Everything is published together as one new panel.
Every write here goes through the job's lease, like the runner's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from scraping.connectors import list_audience, open_batches
from scraping.leases import LeaseLost, lease_duration, leased_row
from scraping.models import ImportJob, ImportStagedItem
from scraping.sources import (
    AuthFailed,
    Batch,
    ProgressCallback,
    RateLimited,
    SourceError,
    SourceUnavailable,
    record_json,
)
from scraping.sources.audience import sample_candidates, skipped_note
from scraping.sources.records import AccountBundle, ImportFailed

LISTING_LIMIT = 1000  # candidates listed before sampling; followers come newest first
START_OVER = {  # an audience job whose staged accounts were dropped lists and samples again
    "candidates_seen": None,
    "sampled_accounts": [],
    "audience_position": 0,
    "accounts_imported": 0,
    "account_failures": [],
}


def _save(job: ImportJob, **fields) -> None:
    if not leased_row(job).update(
        **fields, lease_expires_at=timezone.now() + lease_duration(), updated_at=timezone.now()
    ):
        raise LeaseLost
    for name, value in fields.items():
        setattr(job, name, value)


def list_and_sample(job: ImportJob, *, credential: str, progress: ProgressCallback) -> None:
    """List the candidates and store the seeded sample, unless an earlier attempt already did."""
    if job.candidates_seen is not None:
        return
    spec = job.audience
    listing = list_audience(
        connector=job.connector,
        audience=spec,
        credential=credential,
        limit=LISTING_LIMIT,
        base_url=job.params.get("base_url"),
        progress=progress,
    )
    sample = sample_candidates(listing.eligible, size=spec["size"], seed=spec["seed"])
    if not sample:
        raise ImportFailed(
            f"No account could be sampled: {listing.seen:,} were listed and none can be imported. "
            + skipped_note(listing.skipped)
        )
    notes = [*listing.notes, skipped_note(listing.skipped)]
    if len(sample) < spec["size"]:
        notes.append(
            f"Only {len(listing.eligible):,} accounts could be imported, so the panel has fewer than {spec['size']}."
        )
    job.notes = [note for note in notes if note]
    _save(
        job,
        candidates_seen=listing.seen,
        sampled_accounts=[{"address": c.address, "handle": c.handle} for c in sample],
        audience_position=0,
        accounts_imported=0,
        account_failures=[],
        notes=job.notes,
        progress_done=0,
        progress_total=len(sample),
        progress_message=f"Listed {listing.seen:,} accounts; sampled {len(sample)}",
    )


def current_member(job: ImportJob) -> dict | None:
    """The sampled account to fetch next, or None when every one is done or skipped."""
    if job.audience_position < len(job.sampled_accounts):
        return job.sampled_accounts[job.audience_position]
    return None


def member_batches(
    job: ImportJob, member: dict, *, credential: str, progress: ProgressCallback
) -> Iterator[Batch]:
    """The member's recent history, continuing after the job's checkpoint."""
    position, total = job.audience_position + 1, len(job.sampled_accounts)

    def member_progress(done: int, expected: int | None, message: str) -> None:
        progress(job.audience_position, total, f"Account {position} of {total}: {message}")

    return open_batches(
        connector=job.connector,
        account=member["address"],
        credential=credential,
        checkpoint=job.checkpoint or None,
        base_url=job.params.get("base_url"),
        progress=member_progress,
        audience_member=True,
    )


def is_member_failure(exc: SourceError) -> bool:
    """One account's problem (gone, protected, refused), not the source's or the credential's."""
    return not isinstance(exc, RateLimited | AuthFailed | SourceUnavailable)


def member_done(job: ImportJob, member: dict) -> None:
    """Keep the member's account record with its staged pages and move on, in one transaction."""
    if not job.staged_account:
        member_failed(job, member, ImportFailed("the source returned no account"))
        return
    with transaction.atomic():
        ImportStagedItem.objects.get_or_create(
            organization_id=job.organization_id,
            job=job,
            account=member["address"],
            kind=ImportStagedItem.Kind.ACCOUNT,
            key="account",
            defaults={"data": job.staged_account},
        )
        _save(
            job,
            audience_position=job.audience_position + 1,
            accounts_imported=job.accounts_imported + 1,
            checkpoint={},
            staged_account={},
            progress_done=job.audience_position + 1,
        )


def member_failed(job: ImportJob, member: dict, exc: ImportFailed) -> None:
    """Record and skip the member, dropping its pages; too many failures fail the whole job."""
    failures = [*job.account_failures, {"handle": member["handle"], "reason": str(exc).splitlines()[0][:300]}]
    allowed = job.audience.get("max_failures", 0)
    if len(failures) > allowed:
        listed = "; ".join(f"{f['handle']}: {f['reason']}" for f in failures[:5])
        raise ImportFailed(
            f"{len(failures)} sampled accounts could not be imported, more than the {allowed} allowed, "
            f"so nothing was added. {listed}"
        )
    with transaction.atomic():
        ImportStagedItem.objects.filter(job=job, account=member["address"]).delete()
        _save(
            job,
            audience_position=job.audience_position + 1,
            account_failures=failures,
            checkpoint={},
            staged_account={},
            progress_done=job.audience_position + 1,
        )


def member_bundles(job: ImportJob) -> list[AccountBundle]:
    """Every imported member's bundle, in sample order, from the staged rows."""
    bundles: dict[str, AccountBundle] = {}
    rows = job.staged.order_by("id").values_list("account", "kind", "data")
    accounts = {address: data for address, kind, data in rows if kind == ImportStagedItem.Kind.ACCOUNT}
    for member in job.sampled_accounts:
        if member["address"] in accounts:
            record = record_json.account_from_json(accounts[member["address"]])
            bundles[member["address"]] = AccountBundle(account=record)
    for address, kind, data in rows:
        bundle = bundles.get(address)
        if bundle is None or kind == ImportStagedItem.Kind.ACCOUNT:
            continue
        if kind == ImportStagedItem.Kind.HISTORY:
            bundle.history.append(record_json.history_from_json(data))
        elif kind == ImportStagedItem.Kind.FOLLOWING:
            bundle.following.append(record_json.follow_from_json(data))
        else:
            bundle.followers.append(record_json.follow_from_json(data))
    if not bundles:
        raise ImportFailed("None of the sampled accounts could be imported, so nothing was added.")
    return list(bundles.values())
