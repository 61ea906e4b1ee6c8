"""Stimulus pictures reach the model only in turns whose feed shows the stimulus: as image blocks
(Anthropic SDK) or image parts (OpenAI-compatible client) for a model that reads images, as the
alt text in the post's line for one that does not. Real client code against a loopback server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from PIL import Image

from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.base import ImagePart, LLMRequest
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.wrappers import CacheKey
from simulations.engine.config import WorldConfig
from simulations.engine.demo import demo_panel
from simulations.engine.formats import create_world
from simulations.engine.media import form_seen
from simulations.engine.step import plan_step
from simulations.engine.stimuli import Stimulus
from simulations.engine.world import World
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import LoopbackServer, Reply

ALT = "A woman riding a red exercise bike at dawn"


def _png(color=(200, 30, 30), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


PICTURE = ImagePart("image/png", _png())
KEYFRAME = ImagePart("image/png", _png((10, 10, 200)))


def _world(*, vision: bool, alt_text: str = ALT, refs=("pic", "frame")) -> World:
    ad = Stimulus(
        id="s1", text="Ride into the new year.", at_step=0, author_handle="FitBikeCo", boost=1.0,
        alt_text=alt_text, images=refs,
    )  # fmt: skip
    world = create_world(demo_panel(12, seed=3), WorldConfig(seed=3, vision=vision), [ad])
    world.load_image = {"pic": PICTURE, "frame": KEYFRAME}.__getitem__
    return world


def _requests(world: World) -> tuple[list[LLMRequest], list[LLMRequest]]:
    """(turns whose feed shows the ad, the other turns) of the first step with anyone online."""
    for _ in range(24):
        plan = plan_step(world)
        if plan.turns:
            ad_post = next(p.id for p in world.posts.values() if p.is_stimulus)
            shown = [t.request for t in plan.turns if ad_post in t.feed]
            return shown, [t.request for t in plan.turns if ad_post not in t.feed]
        world.next_step += 1
    raise AssertionError("nobody came online")


def test_a_vision_turn_carries_the_picture_and_keyframes_and_names_them_in_the_post_line():
    shown, others = _requests(_world(vision=True))

    assert shown, "the promoted ad is in every online persona's feed"
    for request in shown:
        assert request.images == (PICTURE, KEYFRAME)
        assert "[images 1-2 above]" in request.user
        assert ALT not in request.user
    assert all(request.images == () for request in others)


def test_without_vision_the_post_line_carries_the_alt_text_and_no_picture():
    world = _world(vision=False)
    shown, _ = _requests(world)

    assert form_seen(world, "s1") == "alt_text"
    for request in shown:
        assert request.images == ()
        assert f"[image: {ALT}]" in request.user


def test_pictures_without_alt_text_reach_a_text_model_as_nothing():
    world = _world(vision=False, alt_text="")
    shown, _ = _requests(world)

    assert form_seen(world, "s1") == "nothing"
    assert all("[image" not in r.user and r.images == () for r in shown)


def test_a_snapshot_keeps_the_references_and_the_alt_text_never_the_bytes():
    world = _world(vision=True)
    state = world.to_state()

    assert state["media"] == {"s1": {"alt_text": ALT, "images": ["pic", "frame"]}}
    again = World.from_state(state)
    assert again.media == world.media and again.config.vision


def test_the_same_words_with_another_picture_are_another_cache_key():
    request = LLMRequest(key="a", system="s", user="u", images=(PICTURE,))

    other = CacheKey.for_request("anthropic", "m", replace(request, images=(KEYFRAME,)))

    assert CacheKey.for_request("anthropic", "m", request) != other
    assert CacheKey.for_request("anthropic", "m", replace(request, images=())).prompt_sha256 == (
        CacheKey.for_request("anthropic", "m", LLMRequest(key="a", system="s", user="u")).prompt_sha256
    )


# --- through the real clients -----------------------------------------------------------------


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    yield server
    server.stop()


def test_anthropic_gets_base64_image_blocks_before_the_text(loopback, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    loopback.script("/v1/messages", Reply(200, shapes.anthropic_tool_use(shapes.DECISION)))
    shown, _ = _requests(_world(vision=True))

    [answer] = AnthropicProvider(api_key="sk-test", model="claude-haiku-4-5").generate([shown[0]])

    assert answer.error is None
    content = loopback.requests_to("/v1/messages")[0].body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["image", "image", "text"]
    assert content[0]["source"] == {"type": "base64", "media_type": "image/png", "data": PICTURE.base64}
    assert content[1]["source"]["data"] == KEYFRAME.base64
    assert "[images 1-2 above]" in content[2]["text"]


def test_anthropic_text_turn_has_no_image_block_and_reads_the_alt_text(loopback, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    loopback.script("/v1/messages", Reply(200, shapes.anthropic_tool_use(shapes.DECISION)))
    shown, _ = _requests(_world(vision=False))

    AnthropicProvider(api_key="sk-test", model="claude-haiku-4-5").generate([shown[0]])

    content = loopback.requests_to("/v1/messages")[0].body["messages"][0]["content"]
    assert isinstance(content, str) and f"[image: {ALT}]" in content


def _chat_server(loopback) -> OpenAICompatProvider:
    import json

    loopback.script("/v1/chat/completions", Reply(200, shapes.chat_completion(json.dumps(shapes.DECISION))))
    return OpenAICompatProvider(base_url=f"{loopback.url}/v1", model="qwen2-vl", max_attempts=1)


def test_openai_compatible_server_gets_image_url_parts_as_data_urls(loopback):
    shown, _ = _requests(_world(vision=True))

    [answer] = _chat_server(loopback).generate([shown[0]])

    assert answer.error is None
    user = loopback.requests_to("/v1/chat/completions")[0].body["messages"][-1]
    kinds = [part["type"] for part in user["content"]]
    assert kinds == ["image_url", "image_url", "text"]
    assert user["content"][0]["image_url"]["url"] == f"data:image/png;base64,{PICTURE.base64}"
    assert "[images 1-2 above]" in user["content"][2]["text"]


def test_a_text_only_server_gets_plain_text_with_the_alt_text(loopback):
    shown, _ = _requests(_world(vision=False))

    _chat_server(loopback).generate([shown[0]])

    user = loopback.requests_to("/v1/chat/completions")[0].body["messages"][-1]
    assert isinstance(user["content"], str)
    assert f"[image: {ALT}]" in user["content"] and "image_url" not in str(user)


def test_pictures_count_in_the_tokens_a_call_takes_from_the_rate_limit(loopback, monkeypatch):
    from simnet.llm.ratelimit import request_tokens
    from simnet.llm.vision import image_tokens

    monkeypatch.setenv("ANTHROPIC_BASE_URL", loopback.url)
    loopback.script("/v1/messages", Reply(200, shapes.anthropic_tool_use(shapes.DECISION)))
    provider = AnthropicProvider(api_key="sk-test", model="claude-haiku-4-5")
    taken: list[int] = []

    async def acquire(tokens: int) -> None:
        taken.append(tokens)

    monkeypatch.setattr(provider.limiter, "acquire", acquire)
    request = LLMRequest(key="a", system="s", user="u", images=(PICTURE,))

    provider.generate([request])

    assert taken == [request_tokens("s", "u", "", request.max_tokens) + image_tokens(64, 48)]
