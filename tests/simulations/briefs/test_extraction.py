"""Extraction through the real provider clients against a loopback server speaking each protocol:
what is sent, what is stored, what it costs, and the clear failures (bad JSON, a draft that breaks
the schema, no hosted model, a refused upload, no budget) that store nothing or say why."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from simnet.providers.models import ProviderConfig
from simnet.providers.spend import monthly_spend
from simnet.tenancy.errors import ApplicationError
from simulations.briefs import services
from simulations.briefs.extract import EXTRACTION_SCHEMA
from simulations.models import BriefDraft
from tests.simulations.briefs.documents import pdf_bytes
from tests.simulations.briefs.drafts import BRIEF, MODEL_DRAFT, anthropic_config, openai_config
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply

pytestmark = pytest.mark.django_db
CHAT = "/v1/chat/completions"


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.PRODUCTION = False  # the loopback server stands in for the provider


def extract(org, actor, config, **source):
    brief = services.brief_create(
        organization=org, actor=actor, provider_config=config, enqueue=False, **source
    )
    return services.brief_extract(brief_id=brief.pk)


def test_an_openai_compatible_model_extracts_the_draft_under_the_schema(org_a, member, loopback):
    loopback.script(CHAT, Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT), completion_tokens=400)))
    brief = extract(org_a, member, openai_config(org_a, loopback.url), text=BRIEF)

    assert brief.status == BriefDraft.Status.COMPLETED and brief.origin == BriefDraft.Origin.EXTRACTED
    people = brief.draft["stakeholders"]
    assert [p["handle"] for p in people] == ["CityCouncil", "Shops", "Cycling_club"]
    assert people[1]["groups"] == ["business"] and people[2]["groups"] == ["residents", "cyclists"]
    assert [p["author"] for p in brief.draft["posts"]] == ["CityCouncil", "LocalPaper"]
    assert brief.draft["question"] == MODEL_DRAFT["question"]
    [sent] = loopback.requests_to(CHAT)
    assert sent.body["response_format"]["json_schema"]["schema"] == EXTRACTION_SCHEMA
    assert BRIEF in sent.body["messages"][-1]["content"]
    assert brief.cost_usd > 0 and monthly_spend(org_a) == brief.cost_usd
    assert brief.provider_label.startswith("vllm")


def test_an_anthropic_model_extracts_through_a_forced_tool_call(org_a, member, loopback, settings):
    settings.ANTHROPIC_API_KEY = "sk-test"
    loopback.script("/v1/messages", Reply(200, shapes.anthropic_tool_use(MODEL_DRAFT, output_tokens=500)))
    brief = extract(org_a, member, anthropic_config(org_a, loopback.url), text=BRIEF)

    assert brief.status == BriefDraft.Status.COMPLETED, brief.status_reason
    assert len(brief.draft["stakeholders"]) == 3 and len(brief.draft["posts"]) == 2
    [sent] = loopback.requests_to("/v1/messages")
    assert sent.body["tools"][0]["input_schema"] == EXTRACTION_SCHEMA
    assert sent.body["tool_choice"]["type"] == "tool"


def test_an_uploaded_pdf_is_what_the_model_reads(org_a, member, loopback):
    loopback.script(CHAT, Reply(200, shapes.chat_completion(json.dumps(MODEL_DRAFT))))
    upload = SimpleUploadedFile("plan.pdf", pdf_bytes(["Council plan for Main Street"]))
    brief = extract(org_a, member, openai_config(org_a, loopback.url), upload=upload)

    assert (brief.source_kind, brief.source_name, brief.text) == (
        "pdf",
        "plan.pdf",
        "Council plan for Main Street",
    )
    assert "Council plan for Main Street" in loopback.requests_to(CHAT)[0].body["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("Sure! Here are the stakeholders: the council and the shops.", "The model gave no draft: model output is not a JSON object"),
        (json.dumps({**MODEL_DRAFT, "stakeholders": MODEL_DRAFT["stakeholders"][:1], "question": ""}),
         "does not follow the schema (stakeholders: A world needs 2 to 30 stakeholders; this draft has 1"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_the_draft_fails_with_what_was_wrong(org_a, member, loopback, answer, says):
    loopback.script(CHAT, Reply(200, shapes.chat_completion(answer)))
    brief = extract(org_a, member, openai_config(org_a, loopback.url), text=BRIEF)

    assert brief.status == BriefDraft.Status.FAILED
    assert says in brief.status_reason and brief.draft == {}
    assert brief.cost_usd > 0  # the call was paid for even though its answer was unusable


def test_an_unreachable_server_fails_with_its_reason(org_a, member, loopback):
    loopback.script(CHAT, Reply(401, {"error": {"message": "bad key"}}))
    brief = extract(org_a, member, openai_config(org_a, loopback.url), text=BRIEF)
    assert brief.status == BriefDraft.Status.FAILED and "HTTP 401" in brief.status_reason


@pytest.mark.parametrize("kind", [None, "offline", "baseline"])
def test_without_a_hosted_model_extraction_is_refused_and_nothing_stored(org_a, member, kind):
    config = ProviderConfig.objects.create(organization=org_a, name=kind, kind=kind) if kind else None
    with pytest.raises(ApplicationError, match="needs a hosted language model") as refused:
        services.brief_create(organization=org_a, actor=member, provider_config=config, text=BRIEF)
    assert refused.value.code == "needs_hosted_model" and "template" in refused.value.message
    assert not BriefDraft.objects.for_org(org_a).exists()


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ({"upload": SimpleUploadedFile("locked.pdf", pdf_bytes(["x"], password="pw"))}, "password-protected"),
        ({"upload": SimpleUploadedFile("scan.pdf", pdf_bytes([""]))}, "has no text"),
        ({"upload": SimpleUploadedFile("brief.odt", b"text")}, "not a document simnet reads"),
        ({"text": "   "}, "Paste the brief or upload a document"),
        ({"text": BRIEF, "upload": SimpleUploadedFile("a.txt", b"x")}, "one of them"),
    ],
)
def test_refused_documents_store_nothing(org_a, member, loopback, source, says):
    with pytest.raises(ApplicationError, match=says):
        services.brief_create(
            organization=org_a, actor=member, provider_config=openai_config(org_a, loopback.url), **source
        )
    assert not BriefDraft.objects.for_org(org_a).exists() and not loopback.requests


def test_an_oversized_upload_is_refused_before_it_is_read(org_a, member, loopback, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1000)
    upload = SimpleUploadedFile("big.txt", b"a" * 1001)
    with pytest.raises(ApplicationError, match="The document is 0.0 MB; the limit is 0.0 MB") as refused:
        services.brief_create(
            organization=org_a,
            actor=member,
            provider_config=openai_config(org_a, loopback.url),
            upload=upload,
        )
    assert refused.value.fields == {"file": [refused.value.message]}
    assert not BriefDraft.objects.for_org(org_a).exists()


def test_a_spent_budget_refuses_before_any_call(org_a, member, loopback):
    org_a.monthly_budget_usd = Decimal(0)
    org_a.save()
    with pytest.raises(ApplicationError, match="left of this month's budget") as refused:
        services.brief_create(
            organization=org_a, actor=member, provider_config=openai_config(org_a, loopback.url), text=BRIEF
        )
    assert refused.value.status == 402 and not BriefDraft.objects.for_org(org_a).exists()
