"""The ``simulate`` command's stimulus pictures: files read and checked as the builder checks uploads.

``--image`` is the post's picture, ``--keyframe`` (repeated) a video ad's frames in order,
``--alt-text`` what they show (read by a model that sees no images), ``--vision`` says an
OpenAI-compatible model reads images (Anthropic's always do, the offline model never).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from scraping.sources.errors import UploadRejected
from scraping.sources.uploads import read_upload
from simnet.llm.base import ImagePart
from simnet.llm.vision import media_type_of
from simulations.scenarios.media import MAX_KEYFRAMES, MAX_PICTURE_BYTES


def add_picture_arguments(parser) -> None:
    parser.add_argument("--image", help="a picture posted with the stimulus (JPEG, PNG, GIF or WebP)")
    parser.add_argument(
        "--keyframe", action="append", default=[], help=f"a video keyframe (repeat, up to {MAX_KEYFRAMES})"
    )
    parser.add_argument(
        "--alt-text", default="", help="what the pictures show, for models that read no images"
    )
    parser.add_argument("--vision", action="store_true", help="the openai_compat model reads images")


def read_pictures(opts) -> dict[str, ImagePart]:
    """Reference -> picture, in the order shown; a bad file stops the command before any call."""
    paths = ([opts["image"]] if opts["image"] else []) + list(opts["keyframe"])
    if len(opts["keyframe"]) > MAX_KEYFRAMES:
        raise CommandError(f"At most {MAX_KEYFRAMES} keyframes; {len(opts['keyframe'])} were given.")
    pictures = {}
    for number, path in enumerate(paths):
        try:
            data = read_upload(Path(path), max_bytes=MAX_PICTURE_BYTES, what=f"picture {path}")
        except (UploadRejected, OSError) as refused:
            raise CommandError(str(refused)) from None
        media_type = media_type_of(data)
        if media_type is None:
            raise CommandError(f"{path} is not a JPEG, PNG, GIF or WebP image.")
        pictures[f"file:{number}"] = ImagePart(media_type, data)
    return pictures
