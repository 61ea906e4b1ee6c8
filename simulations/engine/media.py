"""Stimulus pictures in a turn: shown as images to a provider that sees them, else as alt text.

The world stores only references to pictures (a stimulus's image and video keyframes) and their
alt text, so snapshots stay small and JSON; ``World.load_image`` (set by whoever builds the world,
never stored) turns a reference into bytes when a turn needs them. A turn's request carries the
pictures of the stimulus posts in its feed, numbered in feed order, and the post's line says
which numbers are its own; a provider without vision reads "[image: <alt text>]" instead, and a
picture with no alt text is left out for it, as a screen reader user would miss it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simnet.llm.base import FeedItem, ImagePart
from simnet.llm.tokens import trim_to_tokens
from simnet.llm.vision import seen_form
from simulations.engine.stimuli import StimulusMedia

if TYPE_CHECKING:
    from simulations.engine.world import World

ALT_TEXT_TOKENS = 60  # an alt text is a sentence or two; a pasted essay is cut


@dataclass(frozen=True)
class TurnMedia:
    notes: tuple[str, ...]  # per feed item: what follows its line ("" for most)
    images: tuple[ImagePart, ...]


def form_seen(world: World, stimulus_id: str) -> str:
    """``simnet.llm.vision.SEEN_FORMS`` entry for one stimulus of this world."""
    media = world.media.get(stimulus_id, StimulusMedia())
    vision = world.config.vision and world.load_image is not None
    return seen_form(vision=vision, has_images=bool(media.images), has_alt_text=bool(media.alt_text.strip()))


def turn_media(world: World, items: Sequence[FeedItem]) -> TurnMedia:
    """The notes and pictures of the stimulus posts among ``items``."""
    notes: list[str] = []
    images: list[ImagePart] = []
    for item in items:
        stimulus_id = world.posts[item.post_id].stimulus_id if item.is_stimulus else None
        media = world.media.get(stimulus_id) if stimulus_id else None
        if media is None:
            notes.append("")
            continue
        form = form_seen(world, stimulus_id)
        if form == "image" and world.load_image is not None:  # (form_seen checked it; for the type)
            first = len(images) + 1
            images.extend(world.load_image(ref) for ref in media.images)
            numbers = f"image {first}" if len(images) == first else f"images {first}-{len(images)}"
            notes.append(f" [{numbers} above]")
        elif form == "alt_text":
            alt = trim_to_tokens(" ".join(media.alt_text.split()), ALT_TEXT_TOKENS)
            notes.append(f" [image: {alt}]")
        else:
            notes.append("")
    return TurnMedia(tuple(notes), tuple(images))
