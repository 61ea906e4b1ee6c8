"""Stimulus pictures from the pages, the API and the services: checked all or nothing, alt text
required for a provider that cannot see images, their tokens in the estimate, the form the agents
saw recorded at start and said in the report, the run's world reading the stored files."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from simnet.llm.pricing import price_for
from simnet.llm.vision import image_tokens
from simnet.providers.models import ProviderConfig
from simnet.tenancy.errors import ApplicationError
from simulations.engine.step import plan_step
from simulations.models import Run, Stimulus
from simulations.runs import media as run_media
from simulations.runs import worlds
from simulations.runs.services import run_estimate, run_start
from simulations.scenarios import media
from simulations.scenarios.services import scenario_create
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

ALT = "A woman riding a red exercise bike at dawn"


def _png(size=(1000, 1000), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def _upload(name="ad.png", size=(1000, 1000), data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else _png(size), content_type="image/png")


def _provider(org, kind="anthropic", model="claude-haiku-4-5") -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=org, name=kind, kind=kind, model=model, base_url="http://x"
    )


def _scenario(tenancy, *, provider=None, picture=True, alt_text="", boost=1.0, keyframes=(), **extra):
    stimulus = {
        "text": "Ride into the new year.",
        "author_handle": "FitBikeCo",
        "boost": boost,
        "alt_text": alt_text,
    }
    if picture:
        stimulus["image"] = _upload()
    stimulus["keyframes"] = list(keyframes)
    return scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=make_panel(tenancy.org_a, size=6),
        name="Ad", steps=4, provider=provider, stimuli=[stimulus], policy="llm", **extra,
    )  # fmt: skip


# --- the rules --------------------------------------------------------------------------------


def test_a_provider_that_cannot_see_images_needs_the_alt_text(tenancy):
    with pytest.raises(ApplicationError) as refused:
        _scenario(tenancy)  # the offline model

    [problem] = refused.value.fields["stimuli"]
    assert (
        problem.startswith("Stimulus 1: Offline model") and "cannot see images: write the alt text" in problem
    )
    assert not Stimulus.objects.for_org(tenancy.org_a).exists(), "nothing is kept of a refused scenario"
    assert _scenario(tenancy, provider=_provider(tenancy.org_a)).stimuli.get().image  # Claude reads images
    server = _provider(tenancy.org_a, "openai_compat", "qwen2-vl")
    with pytest.raises(ApplicationError):
        _scenario(tenancy, provider=server)  # a text-only server, until its model is said to read images
    assert _scenario(tenancy, provider=server, sees_images=True).settings["media"] == {"vision": True}


def test_pictures_are_checked_all_or_nothing_with_the_import_style_messages(tenancy, monkeypatch):
    monkeypatch.setattr(media, "MAX_PICTURE_BYTES", 2000)
    frames = [_upload(f"f{i}.png", size=(8, 8)) for i in range(5)]
    not_an_image = SimpleUploadedFile("x.png", b"%PDF-1.4 not a picture", content_type="image/png")

    with pytest.raises(ApplicationError) as refused:
        _scenario(tenancy, alt_text=ALT, keyframes=[not_an_image, *frames])

    problems = refused.value.fields["stimuli"]
    assert "Stimulus 1: At most 4 keyframes a stimulus; 6 were sent." in problems
    assert any("The image is" in p and "the limit is 0.0 MB" in p for p in problems)
    assert "Stimulus 1: The keyframe 1 is not a JPEG, PNG, GIF or WebP image." in problems


# --- the builder page -------------------------------------------------------------------------


def _builder_form(panel, **stimulus) -> dict:
    return {
        "mode": "run", "name": "Ad", "panel": panel.pk, "format": "feed", "agenda": "", "steps": 3,
        "minutes_per_step": 60, "recommender": "mix", "feed_size": 5, "memory_tokens": 120, "provider": "",
        "seed": 7, "budget_usd": "", "replicates": 1, "policy": "llm",
        "stimuli-TOTAL_FORMS": 1, "stimuli-INITIAL_FORMS": 0, "stimuli-MIN_NUM_FORMS": 0, "stimuli-MAX_NUM_FORMS": 20,
        "stimuli-0-text": "Ride into the new year.", "stimuli-0-author": "FitBikeCo", "stimuli-0-step": 0,
        "stimuli-0-boost": "", "stimuli-0-image": _upload(), **stimulus,
    }  # fmt: skip


def test_the_builder_asks_for_the_alt_text_then_starts_a_run_that_reads_it(member_client, tenancy):
    panel = make_panel(tenancy.org_a, size=4)

    refused = member_client.post(reverse("scenario_create"), _builder_form(panel))
    started = member_client.post(
        reverse("scenario_create"), _builder_form(panel, **{"stimuli-0-alt_text": ALT})
    )

    assert refused.status_code == 200
    assert "cannot see images: write the alt text" in refused.content.decode()
    assert started.status_code == 302
    run = Run.objects.for_org(tenancy.org_a).get()
    stimulus = run.scenario.stimuli.get()
    assert stimulus.alt_text == ALT
    assert run.reproducibility["media"] == {
        "vision": False,
        "forms": {f"s{stimulus.pk}": {"text": "Ride into the new year.", "form": "alt_text", "pictures": 1}},
    }
    report = member_client.get(reverse("run_report", args=[run.pk])).content.decode()
    assert "the model does not read images; the agents read the alt text of its picture" in report


# --- the estimate -----------------------------------------------------------------------------


def test_the_estimate_adds_the_pictures_tokens_and_dollars_beside_the_text(tenancy):
    claude = _provider(tenancy.org_a)
    with_picture = _scenario(tenancy, provider=claude, keyframes=[_upload("k.png", size=(2000, 2000))])
    text_only = _scenario(tenancy, provider=claude, picture=False)

    pictured, plain = run_estimate(scenario=with_picture), run_estimate(scenario=text_only)

    tokens = pictured["image_tokens"]
    assert image_tokens(1000, 1000) == 1334 and image_tokens(2000, 2000) == 1533  # scaled to 1.15 MP
    assert tokens["low"] == pytest.approx(tokens["high"])  # promoted to everyone: every reader sees it
    assert 0 < tokens["high"] <= 6 * (1334 + 1533)  # at most once per persona of the 6
    for bound in ("low", "expected", "high"):
        assert pictured["input_tokens"][bound] - plain["input_tokens"][bound] == pytest.approx(tokens[bound])
        dollars = tokens[bound] * price_for("anthropic", "claude-haiku-4-5").input / 1_000_000
        assert pictured["cost_usd"][bound] - plain["cost_usd"][bound] == pytest.approx(dollars)
    assert any(note.startswith("pictures shown to the model") for note in pictured["notes"])
    assert (
        run_estimate(scenario=_scenario(tenancy, alt_text=ALT))["image_tokens"] is None
    )  # offline: alt text


# --- the run ----------------------------------------------------------------------------------


def test_a_vision_run_records_it_and_its_world_reads_the_stored_pictures_of_its_own_organization(
    tenancy, member_client, member_api
):
    scenario = _scenario(
        tenancy, provider=_provider(tenancy.org_a), keyframes=[_upload("k.png", size=(16, 9))]
    )
    [run] = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)
    stimulus = scenario.stimuli.get()

    assert run.reproducibility["media"]["vision"] is True
    assert run.reproducibility["media"]["forms"][f"s{stimulus.pk}"]["form"] == "image"
    world = worlds.new_world(run)
    for _ in range(24):
        turns = plan_step(world).turns
        if turns:
            break
        world.next_step += 1
    shown = [t.request for t in turns if t.request.images]
    assert shown and [i.data for i in shown[0].images] == [
        stimulus.image.open("rb").read(),
        stimulus.keyframes.get().image.open("rb").read(),
    ]
    with pytest.raises(run_media.ImageUnreadable):
        run_media.image_loader(tenancy.org_b.pk)(f"image:{stimulus.pk}")
    report = member_client.get(reverse("run_report", args=[run.pk])).content.decode()
    assert "the agents were shown its 2 pictures (image and video keyframes) as images" in report
    [line] = member_api.get(f"/api/v1/runs/{run.pk}/report/").json()["pictures_seen"]
    assert line.endswith("the agents were shown its 2 pictures (image and video keyframes) as images.")


# --- the API ----------------------------------------------------------------------------------


def test_pictures_upload_through_the_api_only_inside_the_organization(token_client, org_b, tenancy):
    own, other, viewer = (
        token_client("member"),
        token_client("member", organization=org_b),
        token_client("viewer"),
    )
    created = own.post(
        "/api/v1/scenarios/",
        {"panel": make_panel(tenancy.org_a, size=3).pk, "name": "Ad", "steps": 2, "policy": "llm",
         "stimuli": [{"text": "Ride into the new year.", "author_handle": "FitBikeCo"}]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    stimulus_id = created.json()["stimuli"][0]["id"]
    url = f"/api/v1/stimuli/{stimulus_id}/pictures/"

    missing_alt = own.post(url, {"image": _upload()}, format="multipart")
    elsewhere = other.post(url, {"image": _upload(), "alt_text": ALT}, format="multipart")
    not_allowed = viewer.post(url, {"image": _upload(), "alt_text": ALT}, format="multipart")
    saved = own.post(url, {"image": _upload(), "keyframes": [_upload("k1.png"), _upload("k2.png")], "alt_text": ALT},
                     format="multipart")  # fmt: skip

    assert missing_alt.status_code == 400 and "cannot see images" in str(missing_alt.json())
    assert elsewhere.status_code == 404 and other.get(f"/api/v1/stimuli/{stimulus_id}/").status_code == 404
    assert not_allowed.status_code == 403
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["alt_text"] == ALT and body["image"] and len(body["keyframes"]) == 2
    assert own.get(f"/api/v1/stimuli/{stimulus_id}/").json()["keyframes"] == body["keyframes"]
    stimulus = Stimulus.objects.for_org(tenancy.org_a).get(pk=stimulus_id)
    run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=stimulus.scenario)
    assert own.post(url, {"alt_text": "changed"}, format="multipart").status_code == 409


def test_keyframes_are_served_only_inside_the_organization(tenancy, member_client, outsider_client):
    scenario = _scenario(
        tenancy, provider=_provider(tenancy.org_a), keyframes=[_upload("k.png", size=(4, 4))]
    )
    url = reverse("stimulus_keyframe", args=[scenario.stimuli.get().keyframes.get().pk])

    assert member_client.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404


def test_every_experiment_variant_shows_the_same_pictures_and_alt_text(tenancy):
    from simulations.scenarios.experiments import experiment_start

    base = _scenario(tenancy, alt_text=ALT, keyframes=[_upload("k.png", size=(4, 4))])
    original = base.stimuli.get()

    experiment = experiment_start(
        organization=tenancy.org_a, actor=tenancy.member, scenario=base, name="A/B",
        variants=[{"label": "A"}, {"label": "B", "stimulus_text": "New words, same picture."}], replicates=2,
    )  # fmt: skip

    copies = [run.scenario.stimuli.get() for run in experiment.runs.all()]
    assert {c.text for c in copies} == {"Ride into the new year.", "New words, same picture."}
    for copy in copies:
        assert (copy.image.name, copy.alt_text) == (original.image.name, ALT)
        assert [k.image.name for k in copy.keyframes.all()] == [
            k.image.name for k in original.keyframes.all()
        ]
        assert run_media.seen_lines(copy.scenario.runs.first())[0].endswith(
            "the agents read the alt text of its 2 pictures (image and video keyframes)."
        )
