"""Which providers see images, what an image costs in tokens, and how an image travels in a body.

A stimulus picture reaches an agent in one of three forms (``SEEN_FORMS``): the image itself
(a provider that accepts images), its alt text in the post's words (the offline model, the rule
policy, text-only servers), or nothing (no alt text was written). The form is decided once, when
a run starts, and recorded on the run so its report can say what the agents saw.

Token cost follows Anthropic's documented rule for Claude: an image costs about
``width * height / 750`` tokens after it is scaled down to fit ``MAX_LONG_EDGE`` pixels on its long
edge and ``MAX_PIXELS`` in area (about 1,600 tokens at most). OpenAI-compatible servers count
image tokens their own way (tiles, patches); the same rule stands in for them in estimates.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from simnet.llm.base import ImagePart

SEEN_IMAGE, SEEN_ALT_TEXT, SEEN_NOTHING = "image", "alt_text", "nothing"
SEEN_FORMS = (SEEN_IMAGE, SEEN_ALT_TEXT, SEEN_NOTHING)
PIXELS_PER_TOKEN = 750
MAX_LONG_EDGE = 1568
MAX_PIXELS = 1_150_000  # about 1,600 tokens: larger images are scaled down before they are read
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def sees_images(kind: str, *, vision_flag: bool = False) -> bool:
    """Whether a provider of ``kind`` is shown images: every Claude model the project prices reads
    them; an OpenAI-compatible server only when its configuration says its model does (a text
    model there answers 400 to an image part); the offline GGUF model and the rule baseline never."""
    if kind == "anthropic":
        return True
    if kind == "openai_compat":
        return vision_flag
    return False


def seen_form(*, vision: bool, has_images: bool, has_alt_text: bool) -> str:
    """The form the agents see a stimulus picture in (one of ``SEEN_FORMS``)."""
    if has_images and vision:
        return SEEN_IMAGE
    if has_images and has_alt_text:
        return SEEN_ALT_TEXT
    return SEEN_NOTHING


def image_tokens(width: int, height: int) -> int:
    """Input tokens of one ``width`` x ``height`` image under the documented /750 rule."""
    if width <= 0 or height <= 0:
        return 0
    scale = min(1.0, MAX_LONG_EDGE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    return math.ceil(round(width * scale) * round(height * scale) / PIXELS_PER_TOKEN)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes, read from the header only."""
    from PIL import Image  # Pillow reads the header lazily; imported here so text-only users skip it

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def media_type_of(data: bytes) -> str | None:
    """The media type providers accept for these bytes, or None for any other format."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return MEDIA_TYPES.get(image.format or "")
    except (UnidentifiedImageError, OSError):
        return None


def images_tokens(images: Sequence[ImagePart]) -> int:
    return sum(image_tokens(*image_size(image.data)) for image in images)


def anthropic_blocks(images: Sequence[ImagePart]) -> list[dict[str, Any]]:
    """Messages API image blocks (base64 source), placed before the text as Anthropic advises."""
    return [
        {"type": "image", "source": {"type": "base64", "media_type": i.media_type, "data": i.base64}}
        for i in images
    ]


def openai_parts(images: Sequence[ImagePart]) -> list[dict[str, Any]]:
    """Chat Completions ``image_url`` content parts carrying the image as a data URL."""
    return [
        {"type": "image_url", "image_url": {"url": f"data:{i.media_type};base64,{i.base64}"}} for i in images
    ]
