"""Stimulus pictures between the database and the engine: references, bytes, and the form seen.

The engine keeps references (``image:<stimulus pk>``, ``keyframe:<keyframe pk>``); a world built
for a run gets ``load_image``, which reads the stored file of a reference of the run's own
organization. Whether the agents are shown the pictures themselves is decided when the run starts
(``seen_at_start``) and recorded in ``Run.reproducibility["media"]``: a replay, a fork or a report
reads what the agents saw from there, not from a provider configuration edited since.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from django.db.models import Prefetch

from simnet.llm.base import ImagePart
from simnet.llm.pricing import Price
from simnet.llm.vision import SEEN_ALT_TEXT, SEEN_IMAGE, image_size, media_type_of, seen_form, sees_images
from simnet.providers.build import choice_for
from simulations.engine.config import WorldConfig
from simulations.engine.media_estimate import StimulusPictures, picture_tokens
from simulations.engine.persona import PanelSnapshot
from simulations.engine.stimuli import LoadImage
from simulations.models import Policy, Run, Scenario, Stimulus, StimulusKeyframe

# Scenario.settings["media"] = {"vision": bool}: the OpenAI-compatible server's model reads images.
SETTINGS_KEY = "media"


class ImageUnreadable(ValueError):
    """A stored picture is gone or is not an image a provider accepts."""


def image_refs(stimulus: Stimulus) -> tuple[str, ...]:
    """The stimulus's picture, then its keyframes in order, as engine references."""
    refs = [f"image:{stimulus.pk}"] if stimulus.image else []
    return (*refs, *(f"keyframe:{k.pk}" for k in stimulus.keyframes.all()))


def image_loader(organization_id: int) -> LoadImage:
    """Reads a reference's file once per world (a picture is shown in many turns)."""
    loaded: dict[str, ImagePart] = {}

    def load(ref: str) -> ImagePart:
        if ref not in loaded:
            loaded[ref] = _read(organization_id, ref)
        return loaded[ref]

    return load


def _read(organization_id: int, ref: str) -> ImagePart:
    kind, _, pk = ref.partition(":")
    model = {"image": Stimulus, "keyframe": StimulusKeyframe}.get(kind)
    row = (
        model.unscoped.filter(organization_id=organization_id, pk=pk).first()
        if model and pk.isdigit()
        else None
    )
    if row is None or not row.image:
        raise ImageUnreadable(f"picture {ref} is no longer stored")
    with row.image.open("rb") as handle:
        data = handle.read()
    media_type = media_type_of(data)
    if media_type is None:
        raise ImageUnreadable(f"picture {ref} is not a JPEG, PNG, GIF or WebP image")
    return ImagePart(media_type, data)


def provider_sees_images(scenario: Scenario) -> bool:
    """Anthropic: yes; an OpenAI-compatible server when the scenario says its model reads images."""
    flag = bool((scenario.settings or {}).get(SETTINGS_KEY, {}).get("vision"))
    return sees_images(choice_for(scenario.provider).kind, vision_flag=flag)


def seen_at_start(scenario: Scenario, policy: str) -> dict[str, Any]:
    """``Run.reproducibility["media"]``: whether pictures go to the model, and per stimulus the
    form its agents see it in. Only the language-model policy shows feeds to a model; the hybrid
    and rule policies decide from data, so a picture reaches their agents as its alt text at most."""
    vision = policy == Policy.LLM and provider_sees_images(scenario)
    forms = {}
    for stimulus in scenario.stimuli.prefetch_related(keyframes_prefetch(scenario.organization_id)):
        pictures = len(image_refs(stimulus))
        if pictures:
            forms[f"s{stimulus.pk}"] = {
                "text": " ".join(stimulus.text.split())[:60],
                "form": seen_form(
                    vision=vision, has_images=True, has_alt_text=bool(stimulus.alt_text.strip())
                ),
                "pictures": pictures,
            }
    return {"vision": vision, "forms": forms}


def keyframes_prefetch(organization_id: int) -> Prefetch:
    """Stimuli's keyframes in one query, inside the organization (the tenant manager insists)."""
    return Prefetch("keyframes", queryset=StimulusKeyframe.objects.filter(organization_id=organization_id))


def run_vision(run: Run) -> bool:
    return bool((run.reproducibility or {}).get(SETTINGS_KEY, {}).get("vision"))


def seen_lines(run: Run) -> list[str]:
    """What the report says the agents saw, one sentence per stimulus with pictures."""
    media = (run.reproducibility or {}).get(SETTINGS_KEY) or {}
    lines = []
    for key, seen in sorted((media.get("forms") or {}).items()):
        count = seen["pictures"]
        what = "its picture" if count == 1 else f"its {count} pictures (image and video keyframes)"
        key = f"“{seen.get('text') or key}”"
        if seen["form"] == SEEN_IMAGE:
            lines.append(f"Stimulus {key}: the agents were shown {what} as images.")
        elif seen["form"] == SEEN_ALT_TEXT:
            lines.append(
                f"Stimulus {key}: the model does not read images; the agents read the alt text of {what}."
            )
        else:
            lines.append(f"Stimulus {key}: the agents saw only the text; {what} had no alt text.")
    return lines


def pictures_of(stimuli: Iterable[Stimulus]) -> list[StimulusPictures]:
    """Sizes of the stored pictures of saved stimuli (headers only)."""
    found = []
    for stimulus in stimuli:
        files = ([stimulus.image] if stimulus.image else []) + [k.image for k in stimulus.keyframes.all()]
        sizes = []
        for file in files:
            with file.open("rb") as handle:
                sizes.append(image_size(handle.read()))
        if sizes:
            found.append(StimulusPictures(stimulus.boost, stimulus.step, tuple(sizes)))
    return found


def add_picture_cost(
    data: dict, *, scenario: Scenario, panel: PanelSnapshot, config: WorldConfig, price: Price,
    pictures: Sequence[StimulusPictures] | None,
) -> None:  # fmt: skip
    """Put the pictures' input tokens and dollars into an estimate (per run), beside the text's;
    ``data["image_tokens"]`` keeps them apart so the builder can show what the pictures add.
    ``pictures``: the builder's uploads; None reads the saved scenario's."""
    if pictures is None:
        stimuli = scenario.stimuli.prefetch_related(keyframes_prefetch(scenario.organization_id))
        pictures = pictures_of(stimuli) if scenario.pk else []
    tokens = picture_tokens(panel, config, scenario.steps, pictures)
    data["image_tokens"] = asdict(tokens)
    if not pictures:
        return
    for key, value in asdict(tokens).items():
        data["input_tokens"][key] += value
        data["cost_usd"][key] += value * price.input / 1_000_000
    data["notes"].append(
        f"pictures shown to the model: {tokens.expected:,.0f} input tokens expected "
        f"({tokens.low:,.0f}–{tokens.high:,.0f}), about width×height/750 each, once per persona who sees the post"
    )
