"""A hard spending limit that is never crossed.

Before a batch is sent its worst case is reserved: every request's input counted pessimistically
(``count_tokens`` errs high; a margin covers chat framing and the schema) at the dearest input
price (uncached, or a cache write), plus ``max_tokens`` of output. A batch whose worst case does
not fit in what is left is not sent, so the run stops cleanly at the limit instead of over it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simnet.llm.base import ZERO_USAGE, LLMRequest, Usage
from simnet.llm.pricing import Price, cost_of
from simnet.llm.tokens import count_tokens

INPUT_MARGIN = 1.15  # on top of count_tokens, for tokenizer differences
FRAMING_TOKENS = 24  # chat template and role markers per request


def _every_request(_request: LLMRequest) -> bool:
    return True


class BudgetExhausted(Exception):
    """The next batch could cross the budget; the run should pause (nothing was sent)."""


@dataclass(frozen=True)
class Budget:
    max_tokens: int | None = None  # all tokens: input (cached or not) and output
    max_usd: float | None = None

    def __post_init__(self) -> None:
        if (self.max_tokens is not None and self.max_tokens < 0) or (
            self.max_usd is not None and self.max_usd < 0
        ):
            raise ValueError("budget limits cannot be negative")


@dataclass(frozen=True)
class Reservation:
    tokens: int
    usd: float


def tokens_spent(usage: Usage) -> int:
    return usage.input_tokens + usage.cached_input_tokens + usage.cache_write_tokens + usage.output_tokens


class BudgetGuard:
    """Tracks what was spent and answers "may this batch be sent?"."""

    def __init__(self, budget: Budget, price: Price, spent: Usage = ZERO_USAGE) -> None:
        self.budget = budget
        self.price = price
        self.spent = spent
        self.reaches_model: Callable[[LLMRequest], bool] = _every_request
        self._prefix_tokens: dict[str, int] = {}  # a prefix repeats every step: count it once
        self._schema_tokens: dict[int, tuple[object, int]] = {}  # id -> (schema kept alive, tokens)

    def spent_usd(self) -> float:
        return self.spent.cost_usd or cost_of(self.price, self.spent)

    def count_only(self, reaches_model: Callable[[LLMRequest], bool]) -> None:
        """Reserve only for the requests that reach a model: a cheap policy answers the rest alone
        (the hybrid's), and a step of 100,000 agents must not be held to 100,000 prompts' worth."""
        self.reaches_model = reaches_model

    def worst_case(self, requests: Sequence[LLMRequest]) -> Reservation:
        input_tokens = output_tokens = 0
        for request in filter(self.reaches_model, requests):
            input_tokens += self._input_bound(request)
            output_tokens += request.max_tokens
        input_price = max(self.price.input, self.price.cache_write)
        usd = (input_tokens * input_price + output_tokens * self.price.output) / 1_000_000
        return Reservation(input_tokens + output_tokens, usd)

    def affordable(self, requests: Sequence[LLMRequest]) -> bool:
        need = self.worst_case(requests)
        if (
            self.budget.max_tokens is not None
            and tokens_spent(self.spent) + need.tokens > self.budget.max_tokens
        ):
            return False
        return self.budget.max_usd is None or self.spent_usd() + need.usd <= self.budget.max_usd

    def reserve(self, requests: Sequence[LLMRequest]) -> None:
        """Raise ``BudgetExhausted`` unless ``requests`` fit in what is left."""
        if not self.affordable(requests):
            raise BudgetExhausted(f"the next {len(requests)} request(s) could exceed the budget")

    def charge(self, usage: Usage) -> None:
        self.spent = self.spent + usage

    def _input_bound(self, request: LLMRequest) -> int:
        prefix = self._prefix_tokens.get(request.system)
        if prefix is None:
            prefix = self._prefix_tokens[request.system] = count_tokens(request.system)
        schema = 0
        if request.schema is not None:
            key = id(request.schema)
            if key not in self._schema_tokens:
                self._schema_tokens[key] = (request.schema, count_tokens(json.dumps(request.schema)))
            schema = self._schema_tokens[key][1]
        return math.ceil((prefix + count_tokens(request.user) + schema) * INPUT_MARGIN) + FRAMING_TOKENS
