"""Writes of briefs: read a pasted or uploaded brief, have a hosted model extract its draft (in a
background task), take a person's edits, and make the draft a panel and a scenario.

Keyword-only and atomic like every service; each re-checks the organization and the actor's role.
Offline there is no extraction: ``brief_create`` refuses with the sentence the page shows and the
templates (``starters``) give an editable draft instead, marked as such.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from scraping.sources.errors import UploadRejected
from scraping.sources.uploads import read_upload
from simnet.llm.base import LLMResponse, ProviderError
from simnet.providers.build import choice_for, provider_for
from simnet.providers.models import HOSTED_KINDS, ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user
from simnet.tenancy.errors import ApplicationError
from simulations.briefs.draft import Draft, DraftInvalid, clean_draft
from simulations.briefs.extract import ExtractionFailed, extraction_request, read_extraction
from simulations.briefs.parse import DocumentRejected, checked_text, document_text
from simulations.briefs.spend import check_budget
from simulations.briefs.starters import STARTERS
from simulations.models import BriefDraft

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # under SIMNET_MAX_BODY_BYTES, so the ASGI layer lets it through
MAX_TITLE = 160
NEEDS_HOSTED_MODEL = (
    "Extracting a world from a brief needs a hosted language model (Anthropic or an OpenAI-compatible "
    "server, set up in Settings → Providers); the offline model cannot read a brief reliably. Start "
    "from a template instead and edit it."
)
TASK = "simulations.tasks.extract_brief"


def _field_error(name: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message, code=code, fields={name: [message]})


def hosted_config(organization, config: ProviderConfig | None) -> ProviderConfig:
    """``config`` when it is one of the organization's hosted models, else the refusal to show."""
    if config is not None and config.organization_id != organization.pk:
        raise ApplicationError("That provider does not exist.", code="not_found", status=404)
    if config is None or config.kind not in HOSTED_KINDS:
        raise _field_error("provider", NEEDS_HOSTED_MODEL, code="needs_hosted_model")
    return config


def _brief_text(text: str, upload) -> tuple[str, str, str]:
    """(kind, file name, text) of the pasted ``text`` or the ``upload``; exactly one of them."""
    if bool(text.strip()) == bool(upload):
        raise _field_error("text", "Paste the brief or upload a document (one of them).")
    if not upload:
        try:
            return "paste", "", checked_text(text, "The pasted brief")
        except DocumentRejected as rejected:
            raise _field_error("text", str(rejected)) from None
    name = getattr(upload, "name", "") or "upload"
    try:
        parsed = document_text(read_upload(upload, max_bytes=MAX_UPLOAD_BYTES, what="document"), name)
    except (DocumentRejected, UploadRejected) as rejected:
        raise _field_error("file", str(rejected), code="document_rejected") from None
    return parsed.kind, name[:255], parsed.text


def brief_create(
    *,
    organization,
    actor: Actor | None,
    provider_config: ProviderConfig | None,
    title: str = "",
    text: str = "",
    upload=None,
    enqueue: bool = True,
) -> BriefDraft:
    """Read the brief and queue its extraction by ``provider_config`` (a hosted model). A refused
    document, provider or budget stores nothing."""
    require_role(actor_role(organization, actor), roles.WRITE, "turn briefs into worlds")
    config = hosted_config(organization, provider_config)
    kind, name, body = _brief_text(text or "", upload)
    brief = BriefDraft(
        organization=organization, title=(title.strip() or name or body.split("\n")[0])[:MAX_TITLE],
        source_kind=kind, source_name=name, text=body, provider_config=config,
        provider_label=choice_for(config).label[:200], created_by=actor_user(actor),
    )  # fmt: skip
    check_budget(organization, config, extraction_request(body, brief_id="new"))
    with transaction.atomic():
        brief.save()
        if enqueue:
            transaction.on_commit(lambda: async_task(TASK, brief.pk, task_name=f"brief-{brief.pk}"))
    return brief


def _ask(brief: BriefDraft) -> LLMResponse:
    provider = provider_for(brief.provider_config, organization_id=brief.organization_id)
    try:
        [response] = provider.generate([extraction_request(brief.text, brief_id=str(brief.pk))])
    except ProviderError as error:
        raise ExtractionFailed(
            f"The provider could not be reached or refused the request ({error})."
        ) from None
    return response


def brief_extract(*, brief_id: int) -> BriefDraft:
    """Ask the brief's model for the draft and store it, or why there is none (the task's one call)."""
    brief = BriefDraft.unscoped.select_related("provider_config").get(pk=brief_id)
    rows = BriefDraft.unscoped.filter(pk=brief.pk)
    if brief.status in (BriefDraft.Status.COMPLETED, BriefDraft.Status.FAILED):
        return brief  # a redelivered task: never overwrite a draft a person may have edited
    if brief.provider_config is None:
        rows.update(status=BriefDraft.Status.FAILED, status_reason="Its provider was deleted.")
        return BriefDraft.unscoped.get(pk=brief_id)
    rows.update(status=BriefDraft.Status.RUNNING)
    response = None
    try:
        response = _ask(brief)
        draft = read_extraction(response)
        outcome = {"status": BriefDraft.Status.COMPLETED, "status_reason": "", "draft": draft.to_dict()}
    except ExtractionFailed as failed:
        outcome = {"status": BriefDraft.Status.FAILED, "status_reason": str(failed)}
    cost = Decimal(str(round(response.usage.cost_usd, 6))) if response is not None else Decimal(0)
    rows.update(**outcome, cost_usd=cost, finished_at=timezone.now())
    return BriefDraft.unscoped.get(pk=brief_id)


def brief_from_starter(*, organization, actor: Actor | None, starter: str) -> BriefDraft:
    """An editable draft from a hand-written template: no model, no cost, said so on the page."""
    require_role(actor_role(organization, actor), roles.WRITE, "turn briefs into worlds")
    if starter not in STARTERS:
        raise _field_error("starter", f"Choose one of the templates: {', '.join(STARTERS)}.")
    chosen = STARTERS[starter]
    return BriefDraft.objects.create(
        organization=organization, title=chosen["title"], source_kind="template", source_name=starter,
        origin=BriefDraft.Origin.TEMPLATE, status=BriefDraft.Status.COMPLETED,
        draft=clean_draft(chosen["draft"]).to_dict(), created_by=actor_user(actor), finished_at=timezone.now(),
    )  # fmt: skip


def require_editable(brief: BriefDraft, organization) -> None:
    if brief.organization_id != organization.pk:
        raise ApplicationError("That brief does not exist.", code="not_found", status=404)
    if brief.scenario_id is not None:
        raise ApplicationError(
            "This draft is already a world; start a new brief to change it.",
            code="already_applied",
            status=409,
        )
    if brief.status != BriefDraft.Status.COMPLETED:
        raise ApplicationError("The draft is not ready yet.", code="not_ready", status=409)


def checked_draft(data) -> Draft:
    """``clean_draft`` with its problems as the one error shape."""
    try:
        return clean_draft(data)
    except DraftInvalid as invalid:
        raise ApplicationError(str(invalid), code="invalid", fields=invalid.fields) from None


@transaction.atomic
def brief_update(*, brief: BriefDraft, organization, actor: Actor | None, draft: dict) -> BriefDraft:
    """Store a person's edit of the draft (checked like an extraction); marks it edited."""
    require_editable(brief, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "edit briefs")
    brief.draft = checked_draft(draft).to_dict()
    brief.edited = True
    brief.save(update_fields=["draft", "edited"])
    return brief
