"""``manage.py simulate --image/--keyframe/--alt-text/--vision``: the pictures reach an
OpenAI-compatible server as image parts when its model reads images, else the alt text does;
a file that is not an image stops the command before any call."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.support import llm_shapes as shapes
from tests.support.http_loopback import LoopbackServer, Reply

ALT = "A woman riding a red exercise bike at dawn"
CHAT = "/v1/chat/completions"


@pytest.fixture
def server():
    loopback = LoopbackServer().start()
    loopback.responder = lambda recorded: Reply(200, shapes.chat_completion(json.dumps(shapes.DECISION)))
    yield loopback
    loopback.stop()


def _simulate(server, tmp_path: Path, *extra: str) -> str:
    picture = tmp_path / "ad.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture)
    err = StringIO()
    call_command(
        "simulate", "--provider", "openai_compat", "--model", "qwen2-vl", "--base-url", f"{server.url}/v1",
        "--demo", "12", "--steps", "3", "--no-cache", "--image", str(picture), "--alt-text", ALT, *extra,
        stdout=StringIO(), stderr=err,
    )  # fmt: skip
    return err.getvalue()


def _user_turns(server) -> list:
    return [r.body["messages"][-1]["content"] for r in server.requests_to(CHAT)]


def test_a_vision_model_is_sent_the_picture_as_an_image_part(server, tmp_path):
    log = _simulate(server, tmp_path, "--vision")

    assert "the agents see the stimulus's pictures as: image" in log
    with_image = [c for c in _user_turns(server) if isinstance(c, list)]
    assert with_image, "the promoted ad reached at least one turn"
    assert with_image[0][0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert all(ALT not in str(c) for c in _user_turns(server))


def test_a_text_model_reads_the_alt_text_in_the_post(server, tmp_path):
    log = _simulate(server, tmp_path)

    assert "the agents see the stimulus's pictures as: alt_text" in log
    turns = _user_turns(server)
    assert all(isinstance(c, str) for c in turns)
    assert any(f"[image: {ALT}]" in c for c in turns)


def test_a_file_that_is_not_an_image_stops_the_command(server, tmp_path):
    bad = tmp_path / "ad.png"
    bad.write_text("not a picture")

    with pytest.raises(CommandError, match="is not a JPEG, PNG, GIF or WebP image"):
        call_command("simulate", "--provider", "baseline", "--demo", "5", "--steps", "1", "--image", str(bad))
    assert server.requests == []
