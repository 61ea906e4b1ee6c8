"""A test double for the provider interface: an instant, deterministic, counting fake provider.

``FakeProvider`` answers every request with valid JSON derived from a hash of the request and
its own seed, so runs are reproducible and free. It can also misbehave on purpose, per agent
key: answer garbage once (then recover on the correction request), answer garbage always, fail
with a per-request error, or raise ``QuotaExceeded`` after a number of calls.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from simnet.llm.base import LLMRequest, LLMResponse, QuotaExceeded, Usage
from simnet.llm.tokens import count_tokens

# Provider kinds test doubles answer as: free and instant wherever prices and speeds are looked up.
TEST_KINDS = frozenset({"fake"})
CORRECTION_MARKER = "could not be used"
GARBAGE = "I would rather just scroll, thanks."
# Feed actions and their weights: mostly ignoring and liking, as people do.
FEED_CHOICES = (("ignore", 40), ("like", 22), ("reply", 10), ("post", 9), ("repost", 6), ("quote", 4),
                ("follow", 5), ("unfollow", 1), ("mute", 1), ("report", 1), ("like_own_handle", 1))  # fmt: skip


POSITIONS = ("for", "against", "abstain")
# fmt: off
WORDS = ("apple", "river", "candle", "meadow", "violin", "harbor", "pepper", "lantern", "orbit", "saddle",
         "tulip", "glacier", "marble", "cactus", "falcon", "velvet", "biscuit", "compass", "thunder", "walnut",
         "pebble", "quartz", "cobalt", "dolphin", "ember", "fjord", "granite", "hammock", "igloo", "jasmine",
         "kettle", "lagoon", "mango", "nutmeg", "oyster", "parrot", "quiver", "raven", "sierra", "tundra",
         "umbrella", "vortex", "willow", "yonder", "zephyr", "anchor", "banjo", "canyon", "dune", "easel",
         "ferret", "gazebo", "hazel", "indigo", "juniper", "kayak", "locket", "maple", "nectar", "olive",
         "puzzle", "quill", "ribbon", "sparrow")
# fmt: on


_FEED_LINE = re.compile(r"^P(\d+) ", re.MULTILINE)


class FakeProvider:
    name = "fake"
    model = "fake-1"

    def __init__(
        self,
        *,
        seed: int = 0,
        garbage_once_for: Collection[str] = (),
        garbage_always_for: Collection[str] = (),
        error_for: Collection[str] = (),
        quota_after_calls: int | None = None,
        count_usage: bool = True,
    ) -> None:
        self.seed = seed
        self.garbage_once_for = set(garbage_once_for)
        self.garbage_always_for = set(garbage_always_for)
        self.error_for = set(error_for)
        self.quota_after_calls = quota_after_calls
        self.count_usage = count_usage
        self.calls = 0  # generate() invocations
        self.requests = 0  # requests answered
        self.per_key: Counter[str] = Counter()
        self._prefix_tokens: dict[str, int] = {}

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        if self.quota_after_calls is not None and self.calls >= self.quota_after_calls:
            raise QuotaExceeded("fake provider: quota exhausted")
        self.calls += 1
        self.requests += len(requests)
        self.per_key.update(r.key for r in requests)
        return [self._answer(r) for r in requests]

    def _answer(self, request: LLMRequest) -> LLMResponse:
        if request.key in self.error_for:
            return LLMResponse(request.key, "", error="fake provider: this agent always fails")
        correcting = CORRECTION_MARKER in request.user
        if request.key in self.garbage_always_for or (
            request.key in self.garbage_once_for and not correcting
        ):
            return LLMResponse(request.key, GARBAGE, usage=self._usage(request, GARBAGE))
        digest = hashlib.sha256(f"{self.seed}|{request.seed}|{request.key}|{request.user}".encode()).digest()
        if request.schema is None:  # free text (interviews, summaries): words, not a decision
            text = f"Fake answer {digest[:3].hex()}: I remember what my feed showed me."
            return LLMResponse(request.key, text, usage=self._usage(request, text))
        data = (
            self._meeting(request, digest)
            if "position" in (request.schema or {}).get("properties", {})
            else self._feed(request, digest)
        )
        text = json.dumps(data)
        return LLMResponse(request.key, text, data=data, usage=self._usage(request, text))

    def _feed(self, request: LLMRequest, digest: bytes) -> dict[str, Any]:
        feed_size = len(_FEED_LINE.findall(request.user))
        action = _weighted(FEED_CHOICES, digest[0] * 256 + digest[1])
        tag = digest[2:5].hex()
        target: str | None = f"P{digest[5] % feed_size + 1}" if feed_size else None
        if action == "like_own_handle":  # a deliberately odd choice the world should refuse
            action, target = "follow", f"@{_own_handle(request)}"
        if target is None and action not in ("post", "ignore"):
            action = "post"
        text = f"Fake take: {_words(digest[6:10])}." if action in ("post", "reply", "quote") else None
        if action in ("post", "ignore"):
            target = None
        return {"action": action, "target": target, "text": text, "reason": f"fake {tag}"}

    def _meeting(self, request: LLMRequest, digest: bytes) -> dict[str, Any]:
        feed = request.situation.feed if request.situation else ()
        speakers = [item.author_handle for item in feed[1:] if item.author_id != request.key]
        target = f"@{speakers[digest[1] % len(speakers)]}" if speakers else None
        action = "pass" if digest[0] < 20 else "speak"
        tag = digest[2:5].hex()
        position = POSITIONS[digest[5] % 3]
        return {
            "action": action,
            "target": target,
            "text": f"My view: I lean {position}, {_words(digest[6:10])}." if action == "speak" else None,
            "position": position,
            "reason": f"fake {tag}",
        }

    def _usage(self, request: LLMRequest, text: str) -> Usage:
        if not self.count_usage:
            return Usage()
        prefix = self._prefix_tokens.get(request.system)
        if prefix is None:
            prefix = self._prefix_tokens[request.system] = count_tokens(request.system)
        return Usage(input_tokens=prefix + count_tokens(request.user), output_tokens=count_tokens(text))


def _words(draw: bytes) -> str:
    """A few words picked by ``draw``: fake texts differ in words, so none reads as a copy of another
    (the quality gate refuses copies)."""
    return " ".join(WORDS[byte % len(WORDS)] for byte in draw)


def _weighted(choices: tuple[tuple[str, int], ...], draw: int) -> str:
    total = sum(weight for _, weight in choices)
    point = draw % total
    for name, weight in choices:
        if point < weight:
            return name
        point -= weight
    return choices[-1][0]


def _own_handle(request: LLMRequest) -> str:
    match = re.search(r"\(@([^)\s]+)\)", request.system)
    return match.group(1) if match else request.key
