"""A stimulus's pictures: its image and, for a video ad, a few keyframes the user uploads.

Checked all or nothing, like imports (``scraping.sources.uploads``): every picture is measured
before it is read, must be a JPEG, PNG, GIF or WebP image (what vision providers accept), and at
most ``MAX_PICTURE_BYTES`` (under Anthropic's 5 MB per image), ``MAX_KEYFRAMES`` a stimulus, so one
stimulus's pictures and the form around them fit in one request body (``SIMNET_MAX_BODY_BYTES``,
25 MB, which ``simnet.body_limits`` enforces before Django reads the body). A scenario whose
provider cannot see images needs the alt text of every stimulus with pictures: it is what its
agents read instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from scraping.sources.errors import UploadRejected
from scraping.sources.uploads import read_upload
from simnet.llm.vision import image_size, media_type_of
from simnet.providers.build import choice_for
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role
from simnet.tenancy.errors import ApplicationError
from simulations.engine.media_estimate import StimulusPictures
from simulations.engine.stimuli import DEFAULT_OUTSIDE_BOOST
from simulations.models import Stimulus, StimulusKeyframe
from simulations.runs.media import provider_sees_images

MAX_KEYFRAMES = 4
MAX_PICTURE_BYTES = 4 * 1024 * 1024
MAX_ALT_TEXT_CHARS = 1500
NEEDS_ALT_TEXT = (
    "{provider} cannot see images: write the alt text (what the picture shows, in a sentence or two), "
    "which its agents read instead, or remove the picture."
)


def picture_problems(item: dict[str, Any]) -> list[str]:
    """What is wrong with one stimulus dict's ``image`` and ``keyframes`` (empty: nothing)."""
    keyframes = list(item.get("keyframes") or ())
    problems = []
    if len(keyframes) > MAX_KEYFRAMES:
        problems.append(f"At most {MAX_KEYFRAMES} keyframes a stimulus; {len(keyframes)} were sent.")
    pictures = [("image", item["image"])] if item.get("image") else []
    pictures += [(f"keyframe {i}", f) for i, f in enumerate(keyframes[:MAX_KEYFRAMES], start=1)]
    for what, upload in pictures:
        try:
            data = read_upload(upload, max_bytes=MAX_PICTURE_BYTES, what=what)
        except UploadRejected as refused:
            problems.append(str(refused))
            continue
        finally:
            if hasattr(upload, "seek"):
                upload.seek(0)
        if media_type_of(data) is None:
            problems.append(f"The {what} is not a JPEG, PNG, GIF or WebP image.")
    return problems


def has_pictures(item: dict[str, Any]) -> bool:
    return bool(item.get("image") or item.get("keyframes"))


def stimuli_errors(stimuli: Sequence[dict[str, Any]], *, vision: bool, provider: str) -> list[str]:
    """One line per problem, naming the stimulus by its place in the list."""
    errors = []
    for number, item in enumerate(stimuli, start=1):
        errors += [f"Stimulus {number}: {problem}" for problem in picture_problems(item)]
        if has_pictures(item) and not vision and not (item.get("alt_text") or "").strip():
            errors.append(f"Stimulus {number}: " + NEEDS_ALT_TEXT.format(provider=provider))
    return errors


def save_keyframes(stimulus: Stimulus, keyframes: Sequence[UploadedFile]) -> None:
    """Store the keyframes in order (the caller checked them and holds the transaction)."""
    for position, upload in enumerate(keyframes):
        StimulusKeyframe.objects.create(
            organization_id=stimulus.organization_id, stimulus=stimulus, image=upload, position=position
        )


def form_pictures(stimuli: Iterable[forms.Form]) -> list[StimulusPictures]:
    """Sizes of the pictures uploaded in the builder's valid stimulus rows (for the estimate)."""
    found = []
    for form in stimuli:
        if not form.is_valid():
            continue
        data = form.cleaned_data
        files = ([data["image"]] if data.get("image") else []) + list(data.get("keyframes") or [])
        sizes = tuple(_size(upload) for upload in files)
        if sizes:
            boost = data["boost"] if data.get("boost") is not None else DEFAULT_OUTSIDE_BOOST
            found.append(StimulusPictures(boost, data.get("step") or 0, sizes))
    return found


def _size(upload: UploadedFile) -> tuple[int, int]:
    """Django's ImageField left the opened header on the upload; read it again if it did not."""
    opened = getattr(upload, "image", None)
    if opened is not None:
        return opened.size
    upload.seek(0)
    size = image_size(upload.read())
    upload.seek(0)
    return size


def copy_keyframes(source: Stimulus, target: Stimulus) -> None:
    """An experiment variant's stimulus shows its base's keyframes: new rows, the same stored files."""
    for keyframe in source.keyframes.all():
        StimulusKeyframe.objects.create(
            organization_id=target.organization_id, stimulus=target, image=keyframe.image.name,
            position=keyframe.position,
        )  # fmt: skip


def keyframe_urls(stimulus: Stimulus) -> list[str]:
    """The organization-only URLs of a stimulus's keyframes, in order."""
    return [reverse("stimulus_keyframe", args=[k.pk]) for k in stimulus.keyframes.all()]


def stimulus_pictures_replace(
    *, organization, actor: Actor | None, stimulus: Stimulus, image=None, keyframes=None, alt_text=None
) -> Stimulus:
    """Replace what is sent of a scenario stimulus's image, keyframes and alt text, all or nothing.
    Refused once the scenario has runs: their worlds read these pictures at every step."""
    require_role(actor_role(organization, actor), roles.WRITE, "change stimuli")
    if stimulus.organization_id != organization.pk:
        raise ApplicationError("That stimulus does not exist.", code="not_found", status=404)
    scenario = stimulus.scenario
    if scenario is None:
        raise ApplicationError("Pictures belong to a scenario's stimuli, not to a post injected into a run.")
    if scenario.runs.exists():
        raise ApplicationError(
            "This scenario has runs, which show its pictures as they are; create a new scenario to change them.",
            code="conflict", status=409,
        )  # fmt: skip
    final = {
        "image": image if image is not None else (stimulus.image or None),
        "keyframes": list(keyframes) if keyframes is not None else [],
        "alt_text": alt_text if alt_text is not None else stimulus.alt_text,
    }
    checked = {**final, "image": image}  # stored pictures were checked when they came
    problems = picture_problems(checked)
    kept_keyframes = keyframes is None and stimulus.keyframes.exists()
    vision = provider_sees_images(scenario)
    if (has_pictures(final) or kept_keyframes) and not vision and not (final["alt_text"] or "").strip():
        problems.append(NEEDS_ALT_TEXT.format(provider=choice_for(scenario.provider).label))
    if problems:
        raise ApplicationError(
            "The pictures were not saved; see the problems.", fields={"pictures": problems}
        )
    with transaction.atomic():
        if image is not None:
            stimulus.image = image
        if alt_text is not None:
            stimulus.alt_text = alt_text.strip()
        stimulus.save(update_fields=["image", "alt_text"])
        if keyframes is not None:
            stimulus.keyframes.all().delete()
            save_keyframes(stimulus, keyframes)
    return stimulus
