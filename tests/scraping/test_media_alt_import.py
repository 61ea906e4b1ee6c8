"""Imported posts keep their media references and the alt texts their authors wrote, and the
persona card says what the person posts images of (from those alt texts, no model)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personas.builders.media_phrases import images_phrase
from personas.models import HistoryItem, Persona
from scraping.sources.mastodon.parse import status_record
from scraping.sources.record_json import history_from_json, history_to_json
from scraping.sources.records import HistoryKind, HistoryRecord
from tests.scraping.sources.platforms import masto_status, serve_bluesky_account
from tests.support.imports import run, start

pytestmark = pytest.mark.django_db


def test_a_bluesky_import_keeps_the_alt_text_and_the_card_mentions_the_images(tenancy, loopback, settings):
    serve_bluesky_account(loopback, datetime.now(UTC))
    settings.IMPORT_BASE_URLS = {"bluesky": loopback.base_url}

    job = run(start(tenancy.org_a, tenancy.member, "bluesky", params={"account": "@alice.bsky.social"}))

    assert job.status == "completed", job.errors
    items = list(HistoryItem.objects.for_org(tenancy.org_a))
    [item] = [i for i in items if i.media]
    assert (item.media, item.media_alt) == (["https://cdn.example/full/1"], ["a train"])
    assert [i.media_alt for i in items if i is not item] == [[]] * (len(items) - 1)
    card = Persona.objects.for_org(tenancy.org_a).get().card
    assert "Posts: images of train (alt text on 1 of 1 posts with media)" in card


def test_mastodon_media_descriptions_are_the_alt_texts_blanks_left_out():
    status = masto_status(
        "9", "<p>Weekend</p>",
        media_attachments=[
            {"id": "1", "type": "image", "url": "https://files.example/1.jpg", "description": "  Two dogs\\non a beach "},
            {"id": "2", "type": "image", "url": "https://files.example/2.jpg", "description": None},
        ],
    )  # fmt: skip

    record = status_record(status, own_id="1", domain="social.example")

    assert record.media == ("https://files.example/1.jpg", "https://files.example/2.jpg")
    assert record.media_alt == ("Two dogs\\non a beach",)


def test_a_staged_record_keeps_its_alt_texts():
    record = HistoryRecord(
        platform_id="1", kind=HistoryKind.POST, text="hi", media=("u",), media_alt=("a cat",)
    )

    assert history_from_json(history_to_json(record)) == record


def _post(n: int, alt: str = "", media: bool = True) -> HistoryRecord:
    return HistoryRecord(
        platform_id=str(n), kind=HistoryKind.POST, text="x",
        media=("u",) if media else (), media_alt=(alt,) if alt else (),
    )  # fmt: skip


def test_a_phrase_needs_a_term_on_two_pictures_once_there_are_several():
    history = [_post(1, "my dog on the beach"), _post(2, "dog asleep"), _post(3, "sunset"), _post(4)]

    assert images_phrase(history) == "images of dog (alt text on 3 of 4 posts with media)"
    assert images_phrase([_post(1), _post(2, media=False)]) == ""
