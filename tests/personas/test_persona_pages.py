"""Persona pages: the card, the derived profile, the history timeline with its held-out items, hand-written
and board personas added and edited, and imported text escaped on every page that shows it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from personas.models import Persona
from tests.personas.conftest import ESCAPED_XSS, XSS

pytestmark = pytest.mark.django_db


def maria(panel):
    return panel.memberships.get(persona__handle="maria").persona


def timeline(page: str) -> list[str]:
    """The kinds of the timeline's items, newest first, with "*" for a held-out one."""
    items = re.findall(
        r'<li class="timeline-item( is-held-out)?">\s*<div class="post-meta">\s*<span class="badge">(\w+)',
        page,
    )
    return [kind + ("*" if held else "") for held, kind in items]


def test_an_imported_persona_shows_its_card_profile_and_timeline(member_client, imported_panel):
    persona = maria(imported_panel)

    page = member_client.get(reverse("persona_detail", args=[imported_panel.pk, persona.pk])).content.decode()

    assert f"{persona.card_tokens} tokens" in page and 0 < persona.card_tokens <= 500
    assert "Computed from the 8 training items of the history; the newest 2 are" in page
    assert "<dt>Actions a day</dt><dd>1.14</dd>" in page  # 8 training items over 7 days
    assert '<th scope="row">post</th><td>8</td><td>100.0%</td>' in page
    assert '<span class="badge">#transit ×8</span>' in page
    assert "How these figures were made" in page and "held out the newest 2 timed items" in page
    assert 'History <small class="muted">(10 items)</small>' in page
    assert timeline(page) == ["Like*", "Reply*"] + ["Post"] * 8


def test_engages_with_never_lists_the_persona_itself(member_client, imported_panel):
    persona = maria(imported_panel)
    engaged = [{"handle": "Maria", "total": 4, "by_kind": {"reply": 4}}, {"handle": "bob", "total": 2, "by_kind": {}}]
    persona.profile = {**persona.profile, "engaged_accounts": engaged}
    persona.save(update_fields=["profile"])

    page = member_client.get(reverse("persona_detail", args=[imported_panel.pk, persona.pk])).content.decode()

    shown = re.search(r"Engages with</h3><p>(.*?)</p>", page).group(1)
    assert re.findall(r"@(\w+) ×(\d+)", shown) == [("bob", "2")]


def test_the_held_out_items_have_their_own_tab_and_kinds_filter_the_timeline(member_client, imported_panel):
    url = reverse("persona_detail", args=[imported_panel.pk, maria(imported_panel).pk])

    held = member_client.get(url, {"kind": "held_out"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="history")
    replies = member_client.get(url, {"kind": "reply"}).content.decode()

    assert held.content.decode().lstrip().startswith('<section id="history">')
    assert timeline(held.content.decode()) == ["Like*", "Reply*"]
    assert timeline(replies) == ["Reply*"]
    assert timeline(member_client.get(url, {"kind": "nonsense"}).content.decode())[-1] == "Post"


def test_imported_text_is_escaped_on_every_page(member_client, tenancy, imported_panel):
    from scraping.models import ImportJob

    persona = maria(imported_panel)
    job = ImportJob.objects.for_org(tenancy.org_a).get()
    pages = {
        "persona": reverse("persona_detail", args=[imported_panel.pk, persona.pk]),
        "panel": reverse("panel_detail", args=[imported_panel.pk]),
        "import": reverse("import_detail", args=[job.pk]),
        "panels": reverse("panel_list"),
    }
    for name, url in pages.items():
        page = member_client.get(url).content.decode()
        assert XSS not in page and "<script>alert" not in page, name
    persona_page = member_client.get(pages["persona"]).content.decode()
    assert persona_page.count(ESCAPED_XSS) >= 10  # name, bio, card examples, every post of the timeline
    assert f"<td>Maria {ESCAPED_XSS}</td>" in member_client.get(pages["panel"]).content.decode()


def test_imported_personas_are_not_edited_by_hand(member_client, imported_panel):
    persona = maria(imported_panel)
    page = member_client.get(reverse("persona_detail", args=[imported_panel.pk, persona.pk])).content.decode()
    assert reverse("persona_edit", args=[imported_panel.pk, persona.pk]) not in page

    response = member_client.post(
        reverse("persona_edit", args=[imported_panel.pk, persona.pk]),
        {"handle": "someone", "activity_rate": 0.5},
    )

    assert response.status_code == 400
    assert "This persona was imported account; its traits come from that data" in response.content.decode()
    persona.refresh_from_db()
    assert persona.handle == "maria"


def test_a_hand_written_persona_is_added_edited_and_removed(tenancy, member_client):
    from personas.services.panels import panel_create

    panel = panel_create(organization=tenancy.org_a, actor=tenancy.member, name="Focus group")
    add = reverse("persona_create", args=[panel.pk])

    bad = member_client.post(add, {"handle": "", "activity_rate": 2, "traits": "no colon here"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Line 1 is not &#x27;name: value&#x27;." in body and "less than or equal to 1" in body

    response = member_client.post(
        add,
        {
            "handle": "@tom",
            "display_name": "Tom",
            "bio": "Retired teacher, dry humour",
            "interests": "gardening, local history",
            "activity_rate": 0.4,
            "traits": "age: 67\nParty: Independent",
        },
    )
    tom = Persona.objects.for_org(tenancy.org_a).get(handle="tom")
    assert response["Location"] == reverse("persona_detail", args=[panel.pk, tom.pk])
    assert tom.origin == "manual" and tom.traits == {"age": "67", "party": "Independent"}
    assert "Tom" in tom.card and 0 < tom.card_tokens <= 500

    edit = reverse("persona_edit", args=[panel.pk, tom.pk])
    assert "age: 67" in member_client.get(edit).content.decode()
    member_client.post(
        edit, {"handle": "tom", "display_name": "Thomas", "activity_rate": 0.2, "traits": "age: 68"}
    )
    tom.refresh_from_db()
    assert (tom.display_name, tom.activity_rate, tom.traits) == ("Thomas", 0.2, {"age": "68"})
    assert "Thomas" in tom.card

    member_client.post(reverse("persona_remove", args=[panel.pk, tom.pk]))
    assert not Persona.objects.for_org(tenancy.org_a).filter(pk=tom.pk).exists()


def test_a_board_member_is_added_as_the_new_chair(tenancy, member_client, board_panel):
    response = member_client.post(
        reverse("persona_create", args=[board_panel.pk]),
        {
            "handle": "nia",
            "display_name": "Nia Brooks",
            "bio": "Former regulator.",
            "activity_rate": 1,
            "role_on_panel": "Lead independent director",
            "is_chair": "on",
            "priorities": "compliance; reputation",
            "objections": "shortcuts",
            "speaking_style": "measured",
        },
    )

    assert response.status_code == 302
    chairs = board_panel.memberships.filter(is_chair=True).select_related("persona")
    assert [m.persona.handle for m in chairs] == ["nia"], "one chair at a time"
    nia = chairs.get().persona
    assert nia.traits["priorities"] == ["compliance", "reputation"] and nia.origin == "board"
    assert "Lead independent director" in nia.card
    page = member_client.get(reverse("persona_detail", args=[board_panel.pk, nia.pk])).content.decode()
    assert "<dt>Priorities</dt><dd>compliance; reputation</dd>" in page and "chair</span>" in page


def test_personas_are_added_by_hand_only_to_custom_and_board_panels(member_client, population_panel):
    page = member_client.get(reverse("panel_detail", args=[population_panel.pk])).content.decode()
    assert reverse("persona_create", args=[population_panel.pk]) not in page

    response = member_client.post(
        reverse("persona_create", args=[population_panel.pk]), {"handle": "extra", "activity_rate": 0.3}
    )

    assert response.status_code == 400
    assert "Personas are added by hand only to custom and board panels" in response.content.decode()


def test_a_sampled_persona_shows_its_voice_and_where_it_came_from(member_client, population_panel):
    persona = population_panel.memberships.select_related("persona").order_by("pk").first().persona

    page = member_client.get(
        reverse("persona_detail", args=[population_panel.pk, persona.pk])
    ).content.decode()

    assert "Sampled from a population" in page and "<strong>Voice:</strong>" in page
    assert '<pre class="persona-card">' in page and f"{persona.card_tokens} tokens" in page
    assert 'id="history"' not in page, "sampled personas have no real history to show"


def test_a_persona_is_reached_only_through_a_panel_it_is_on(member_client, imported_panel, board_panel):
    someone_on_the_board = board_panel.memberships.first().persona_id

    response = member_client.get(reverse("persona_detail", args=[imported_panel.pk, someone_on_the_board]))

    assert response.status_code == 404
