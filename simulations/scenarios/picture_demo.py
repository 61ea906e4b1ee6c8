"""The demo's picture post: a sale poster drawn here, with the alt text that says what it shows.

The offline model cannot see images, so its agents read the alt text in the post's words; a
scenario switched to a vision model shows them the poster itself, and the report says which form
the agents saw. The poster is drawn with Pillow (no file to ship, and its alt text is exactly what
it shows). Idempotent: created once, by name.
"""

from __future__ import annotations

from io import BytesIO

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from personas.models import Panel
from simulations.models import Scenario
from simulations.scenarios.services import scenario_create

NAME = "Sale poster with a picture (demo)"
POST = "Winter sale starts today: our bikes, 30% off until Sunday. #WinterSale"
LINES = ("WINTER SALE", "30% OFF EVERY BIKE", "UNTIL SUNDAY")
ALT_TEXT = (
    "A dark blue poster with three lines of white capital letters: "
    "'WINTER SALE', '30% OFF EVERY BIKE', 'UNTIL SUNDAY'."
)


def sale_poster() -> ContentFile:
    """The poster as a PNG file: the three lines of ``LINES``, white on dark blue."""
    image = Image.new("RGB", (800, 450), (16, 42, 92))
    draw = ImageDraw.Draw(image)
    for row, (line, size) in enumerate(zip(LINES, (72, 48, 40), strict=True)):
        font = ImageFont.load_default(size=size)
        width = draw.textlength(line, font=font)
        draw.text(((800 - width) / 2, 90 + row * 110), line, fill=(255, 255, 255), font=font)
    data = BytesIO()
    image.save(data, format="PNG")
    return ContentFile(data.getvalue(), name="winter-sale-poster.png")


def ensure_demo_picture_post(*, organization, user, panel: Panel) -> Scenario:
    existing = Scenario.objects.for_org(organization).filter(name=NAME).first()
    if existing is not None:
        return existing
    return scenario_create(
        organization=organization, actor=user, panel=panel, name=NAME, steps=4,
        stimuli=[{"text": POST, "author_handle": "FitBikeCo", "boost": 0.6, "step": 0,
                  "image": sale_poster(), "alt_text": ALT_TEXT}],
    )  # fmt: skip
