"""The post performance forecast on every surface: service, API, command, builder cell, report.

The history is the generated brand account (``personas.builders.demo_history``), imported through
the real importer, so the forecast reads what an upload would have stored. Its words are a small
fixed list, so nothing here needs the downloaded public texts.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from personas.builders.demo_history import brand_account
from personas.builders.public_texts import RatedText
from personas.models import Panel, Persona
from personas.services import importer
from simnet.tenancy.errors import ApplicationError
from simulations.insight import forecast
from tests.factories import PersonaFactory, RunFactory, RunPostFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

WORDS = [
    RatedText(text, rating)
    for text, rating in [
        ("love this so much", 3.2), ("what a great day", 2.8), ("this is fine I guess", 0.2),
        ("worst service ever", -3.1), ("not bad at all", 1.1), ("so tired of waiting", -1.9),
        ("absolutely amazing news", 3.4), ("meh, could be better", -0.6), ("we did it!", 2.5),
        ("nobody asked for this", -2.2), ("thanks for the support", 2.1), ("hmm, interesting", 0.4),
    ]
]  # fmt: skip
DRAFT = "#fitness workout: love this so much"


def _import(organization, bundle):
    """Import ``bundle`` as an upload would: the account, its history and its persona."""
    panel = Panel.objects.create(organization=organization, name=f"Import of {bundle.account.handle}")
    batch = importer.batch_open(organization=organization)
    staged = importer.bundles_stage(batch=batch, bundles=[bundle])
    (persona,) = importer.batch_publish(batch=batch, staged=staged, panel=panel)
    return persona.source_account


def _brand(posts: int, handle: str = "demo_brand", seed: int = 7):
    return brand_account(WORDS, seed=seed, posts=posts, handle=handle)


def _first(bundle, n: int):
    return replace(bundle, history=bundle.history[:n])


@pytest.fixture
def brand(org_a):
    """The brand account with 400 posts, imported into organization A."""
    return _import(org_a, _brand(400))


def test_forecast_covers_the_accounts_next_posts_about_80_percent_of_the_time(org_a):
    bundle = _brand(400)
    account = _import(org_a, _first(bundle, 350))
    later = bundle.history[350:]
    inside = []
    for item in later:
        result = forecast.forecast_post(
            organization=org_a, account=account, text=item.text, at=item.created_at, media=len(item.media)
        )
        likes = result["metrics"]["likes"]
        assert likes["low"] <= likes["expected"] <= likes["high"]
        inside.append(likes["low"] <= item.like_count <= likes["high"])
    assert 0.6 <= np.mean(inside) <= 0.97, np.mean(inside)
    assert result["n_posts"] == 350 and result["n_train"] == 350 and result["interval"] == 0.8
    likes = np.array([item.like_count for item in bundle.history[:350]], dtype=float)
    references = result["references"]
    assert references["history_mean"]["n"] == 350
    assert references["history_mean"]["likes"] == pytest.approx(np.expm1(np.log1p(likes).mean()))
    assert references["recent_mean"]["n"] == 200
    assert references["recent_mean"]["likes"] == pytest.approx(np.expm1(np.log1p(likes[-200:]).mean()))
    assert result["notes"] == [] and "imported history" in result["source"]


def test_the_fitted_model_is_cached_until_the_history_changes(org_a, brand, monkeypatch):
    fits = []
    real_fit = forecast.fit_forecast
    monkeypatch.setattr(forecast, "fit_forecast", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    first = forecast.forecast_post(organization=org_a, account=brand, text=DRAFT)
    again = forecast.forecast_post(organization=org_a, account=brand, text=DRAFT, at=None)
    assert len(fits) == 1
    assert again["metrics"]["likes"]["expected"] == pytest.approx(first["metrics"]["likes"]["expected"])
    brand.history.filter(platform_id="demo_brand-0").delete()
    forecast.forecast_post(organization=org_a, account=brand, text=DRAFT)
    assert len(fits) == 2


def test_a_short_history_is_shrunk_toward_the_organizations_other_accounts(org_a, brand):
    short = _import(org_a, _first(_brand(400, handle="new_brand", seed=11), 15))
    result = forecast.forecast_post(organization=org_a, account=short, text=DRAFT)
    assert result["n_posts"] == 15
    assert result["own_weight"] == pytest.approx(15 / 35)
    assert any("shrunk toward the pooled prior" in note for note in result["notes"])
    assert "pooled over 1 accounts" in result["notes"]


def test_two_posts_are_not_enough_even_with_accounts_to_borrow_from(org_a, brand):
    two = _import(org_a, _first(_brand(400, handle="two"), 2))
    with pytest.raises(ApplicationError, match="Not enough data: @two has 2 posts"):
        forecast.forecast_post(organization=org_a, account=two, text=DRAFT)


def test_a_short_history_alone_says_its_interval_is_rough(org_a):
    short = _import(org_a, _first(_brand(400), 15))
    result = forecast.forecast_post(organization=org_a, account=short, text=DRAFT)
    assert result["own_weight"] == 1.0
    assert any("no other imported account" in note for note in result["notes"])


def test_too_few_posts_and_nothing_to_borrow_is_not_enough_data(org_a):
    tiny = _import(org_a, _first(_brand(400), 4))
    with pytest.raises(ApplicationError, match="Not enough data: @demo_brand has 4 posts") as raised:
        forecast.forecast_post(organization=org_a, account=tiny, text=DRAFT)
    assert raised.value.code == "not_enough_data" and raised.value.status == 422


def test_another_organizations_accounts_are_not_borrowed_from(org_a, org_b, brand):
    tiny = _import(org_b, _first(_brand(400, handle="tiny"), 4))
    with pytest.raises(ApplicationError, match="Not enough data"):
        forecast.forecast_post(organization=org_b, account=tiny, text=DRAFT)


def test_api_forecasts_by_id_or_handle_and_says_when_there_is_not_enough_data(
    org_a, brand, api_token_for, api_client_for
):
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    url = reverse("api_forecast")
    by_id = client.post(url, {"account": brand.pk, "text": DRAFT, "media": 1}, format="json")
    assert by_id.status_code == 200, by_id.content
    body = by_id.json()
    assert set(body["metrics"]) == {"likes", "reposts", "replies", "quotes"}
    assert body["n_train"] == 400 and body["media"] == 1 and body["account"]["handle"] == "demo_brand"
    by_handle = client.post(
        url, {"handle": "@Demo_Brand", "text": DRAFT, "at": "2025-01-01T19:00:00Z"}, format="json"
    )
    assert by_handle.status_code == 200 and by_handle.json()["at"].startswith("2025-01-01T19:00:00")
    assert client.post(url, {"text": DRAFT}, format="json").status_code == 400
    assert client.post(url, {"handle": "nobody", "text": DRAFT}, format="json").status_code == 404
    tiny = _import(org_a, _first(_brand(400, handle="tiny"), 4))
    brand.history.all().delete()
    refused = client.post(url, {"account": tiny.pk, "text": DRAFT}, format="json")
    assert refused.status_code == 422
    assert (
        refused.json()["error"]["code"] == "not_enough_data"
        and "4 posts" in refused.json()["error"]["message"]
    )


def test_the_schema_documents_the_forecast_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/v1/forecasts/"]["post"]
    assert {"200", "400", "404", "422"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert body == "ForecastRequest"


def test_command_prints_the_numbers_the_interval_and_n(org_a, brand):
    out = io.StringIO()
    call_command("forecast", "--org", org_a.slug, "--handle", "demo_brand", "--text", DRAFT,
                 "--at", "2025-01-01T19:00:00+00:00", stdout=out)  # fmt: skip
    text = out.getvalue()
    expected = forecast.forecast_post(
        organization=org_a, account=brand, text=DRAFT, at=datetime.fromisoformat("2025-01-01T19:00:00+00:00")
    )
    assert "n=400" in text and "80% low" in text
    for metric, values in expected["metrics"].items():
        row = next(line for line in text.splitlines() if line.strip().startswith(metric))
        assert f"{values['expected']:,.1f}" in row and f"{values['high']:,.1f}" in row
    assert f"{expected['references']['recent_mean']['likes']:,.1f}" in text
    as_json = io.StringIO()
    call_command(
        "forecast", "--org", org_a.slug, "--account", str(brand.pk), "--text", DRAFT, "--json", stdout=as_json
    )
    assert json.loads(as_json.getvalue())["n_train"] == 400


def test_command_says_not_enough_data(org_a):
    tiny = _import(org_a, _first(_brand(400), 4))
    with pytest.raises(CommandError, match="Not enough data: @demo_brand has 4 posts"):
        call_command("forecast", "--org", org_a.slug, "--account", str(tiny.pk), "--text", DRAFT)


def _cell(client, author: str, text: str = DRAFT):
    query = {"prefix": "stimuli-0", "stimuli-0-author": author, "stimuli-0-text": text}
    return client.get(reverse("scenario_forecast"), query, HTTP_HX_REQUEST="true")


def test_builder_rows_fetch_their_forecast_cell(member_client):
    page = member_client.get(reverse("scenario_create")).content.decode()
    assert f'hx-get="{reverse("scenario_forecast")}"' in page and '"prefix": "stimuli-0"' in page


def test_builder_cell_shows_the_forecast_for_an_imported_author_only(org_a, brand, member_client):
    cell = _cell(member_client, "demo_brand")
    assert cell.status_code == 200
    html = cell.content.decode()
    expected = forecast.forecast_post(organization=org_a, account=brand, text=DRAFT)["metrics"]["likes"]
    assert "Forecast for @demo_brand: likes ~" in html and "n=400 posts" in html
    assert f"80%: {expected['low']:,.0f}–{expected['high']:,.0f}" in html
    assert "typical counts of the last 200 posts" in html
    PersonaFactory(organization=org_a, handle="handmade")
    for other in ("handmade", "FitBikeCo", ""):
        response = _cell(member_client, other)
        assert response.status_code == 200 and "Forecast" not in response.content.decode()
    assert _cell(member_client, "demo_brand", text="").content.decode().count("write the post's text") == 1


def test_builder_cell_says_not_enough_data_with_the_count(org_a, member_client):
    _import(org_a, _first(_brand(400), 4))
    html = _cell(member_client, "demo_brand").content.decode()
    assert "Not enough data: @demo_brand has 4 posts" in html and "~" not in html


def _run_with_stimulus_by(persona, organization):
    run = RunFactory(scenario=ScenarioFactory(organization=organization))
    RunPostFactory(run=run, persona=persona, author_key=str(persona.pk), author_handle=persona.handle,
                   is_stimulus=True, stimulus_key="s1", text=DRAFT, likes=3, replies=2)  # fmt: skip
    return run


def test_report_puts_the_real_accounts_forecast_next_to_the_simulation(org_a, brand, owner_client):
    persona = Persona.objects.for_org(org_a).get(source_account=brand)
    run = _run_with_stimulus_by(persona, org_a)
    html = owner_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    assert 'id="forecasts"' in html and "In the simulation: likes 3 · reposts 0 · replies 2" in html
    assert "Forecast for @demo_brand: likes ~" in html and "n=400 posts" in html
    assert "real account" in html
    api = owner_client.get(reverse("api_run_report", kwargs={"run_id": run.pk})).json()
    assert api["forecasts"][0]["forecast"]["n_train"] == 400
    assert api["forecasts"][0]["simulated"]["likes"] == 3


def test_report_has_no_forecast_section_without_an_imported_author(org_a, owner_client):
    run = _run_with_stimulus_by(PersonaFactory(organization=org_a), org_a)
    html = owner_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    assert 'id="forecasts"' not in html
