"""Serving with a prefix cache (vLLM, llama.cpp server): what a run sends an OpenAI-compatible
server, and how the server's cached-token counts come back.

Such servers reuse the longest byte-identical start of a rendered prompt that they have already
computed. The loopback server here keeps every prompt it saw and reports, as they do in
``usage.prompt_tokens_details.cached_tokens``, how much of a new prompt an earlier one began with.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict

import pytest

from simnet.llm.base import LLMRequest, Usage
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.pricing import cost_of, price_for
from simulations.engine.config import WorldConfig
from simulations.engine.demo import demo_panel
from simulations.engine.formats import create_world
from simulations.engine.prompts import FEED_RULES
from simulations.engine.runner import RunReport, run
from simulations.engine.stimuli import Stimulus
from simulations.engine.testing import FIXED_START
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import LoopbackServer, Recorded, Reply

CHAT = "/v1/chat/completions"
CHARS_PER_TOKEN = 4  # the fake server's tokenizer: one token per four characters
IGNORE = json.dumps({"action": "ignore", "target": None, "text": None, "reason": "scrolling"})
PRICED_MODEL = "gpt-4o-mini"  # a model with a cache-read price, so cached tokens cost less


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def rendered(body: dict) -> str:
    """The prompt as a chat template lays it out: messages in order, role before content."""
    return "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in body["messages"])


class PrefixCachingServer:
    """Answers every decision with "ignore" and reports the cached prefix like vLLM/llama.cpp."""

    def __init__(self, loopback: LoopbackServer) -> None:
        self.seen: list[str] = []
        self.reported: list[tuple[int, int]] = []  # (prompt_tokens, cached_tokens) per answer
        self._lock = threading.Lock()
        loopback.responder = self.answer

    def answer(self, recorded: Recorded) -> Reply:
        prompt = rendered(recorded.body)
        with self._lock:
            reused = max((common_prefix(prompt, earlier) for earlier in self.seen), default=0)
            self.seen.append(prompt)
            tokens, cached = len(prompt) // CHARS_PER_TOKEN, reused // CHARS_PER_TOKEN
            self.reported.append((tokens, cached))
        return Reply(200, shapes.chat_completion(IGNORE, prompt_tokens=tokens, cached_tokens=cached))


def _run(loopback: LoopbackServer, steps: int, model: str = "qwen2.5-7b-instruct", **options) -> RunReport:
    world = create_world(
        demo_panel(40, seed=3),
        WorldConfig(seed=5, start=FIXED_START),
        [
            Stimulus(
                id="ad",
                text="This holiday, give the gift that changes everything.",
                author_handle="FitBikeCo",
            )
        ],
    )
    provider = OpenAICompatProvider(base_url=f"{loopback.url}/v1", model=model, max_concurrency=4, **options)
    return run(world, provider, steps)


def _by_agent(loopback: LoopbackServer) -> dict[str, list[dict]]:
    """Request bodies per agent (the ``@handle`` its system prompt names), in the order sent."""
    bodies: dict[str, list[dict]] = defaultdict(list)
    for recorded in loopback.requests_to(CHAT):
        handle = re.search(r"\(@(\w+)\)", recorded.body["messages"][0]["content"])
        bodies[handle.group(1)].append(recorded.body)
    return bodies


def test_each_agent_sends_the_same_persona_prefix_at_every_step(loopback):
    PrefixCachingServer(loopback)

    _run(loopback, steps=4)

    repeaters = {agent: bodies for agent, bodies in _by_agent(loopback).items() if len(bodies) > 1}
    assert len(repeaters) >= 3, "too few agents asked twice to say anything about reuse"
    for bodies in repeaters.values():
        first, *later = bodies
        system = first["messages"][0]["content"]
        assert len(system) > 1000  # the card, own posts and rules: most of the prompt
        for body in later:
            assert body["messages"][0]["content"] == system
            assert common_prefix(rendered(first), rendered(body)) > len(system)


@pytest.mark.xfail(
    strict=True,
    reason="prompts.py opens with the persona ('You are <name>') and puts the shared rules last: "
    "different agents share 8 characters, so a server with few slots (llama.cpp -np) reuses "
    "nothing across agents. docs/serving.md, 'What the prompts share'.",
)
def test_agents_of_one_step_share_the_rules_as_a_common_prefix(loopback):
    PrefixCachingServer(loopback)

    _run(loopback, steps=1)

    systems = [r.body["messages"][0]["content"] for r in loopback.requests_to(CHAT)]
    assert len(systems) >= 2
    shared = min(common_prefix(systems[0], other) for other in systems[1:])
    assert shared >= len(FEED_RULES)


def test_server_cached_tokens_are_counted_and_priced_as_cache_reads(loopback):
    server = PrefixCachingServer(loopback)

    report = _run(loopback, steps=4, model=PRICED_MODEL)

    prompt = sum(tokens for tokens, _ in server.reported)
    cached = sum(cached for _, cached in server.reported)
    assert cached > 0  # later steps resend each agent's prefix, and the server found it
    usage = report.usage
    assert usage.calls == len(server.reported)
    assert (usage.cached_input_tokens, usage.input_tokens) == (cached, prompt - cached)
    price = price_for("openai_compat", PRICED_MODEL)
    assert usage.cost_usd == pytest.approx(cost_of(price, usage))
    all_fresh = Usage(input_tokens=prompt, output_tokens=usage.output_tokens)
    assert usage.cost_usd < cost_of(price, all_fresh)


def _one_request(loopback: LoopbackServer, **options) -> dict:
    loopback.script(CHAT, Reply(200, shapes.chat_completion(IGNORE)))
    provider = OpenAICompatProvider(base_url=f"{loopback.url}/v1", model="m", **options)
    provider.generate([LLMRequest(key="a", system="You are Ada.", user="Feed: empty.")])
    return loopback.requests_to(CHAT)[-1].body


def test_cache_prompt_is_sent_only_when_configured(loopback):
    assert "cache_prompt" not in _one_request(loopback)  # OpenAI itself refuses unknown fields
    assert _one_request(loopback, cache_prompt=True)["cache_prompt"] is True
