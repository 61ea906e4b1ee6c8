"""The tool loop over the real clients: Anthropic's SDK (tool_use / tool_result blocks) and the
OpenAI-compatible client (tools / tool_calls), each against a loopback server speaking its protocol.
No Django: the loop and both wire adapters are pure."""

from __future__ import annotations

import pytest

from simnet.llm.anthropic_provider import AnthropicProvider
from simnet.llm.anthropic_tools import AnthropicToolChat
from simnet.llm.base import ProviderError, Usage
from simnet.llm.openai_compat import OpenAICompatProvider
from simnet.llm.openai_tools import OpenAIToolChat
from simnet.llm.pricing import cost_of, price_for
from simnet.llm.tool_chats import tool_chat_for
from simnet.llm.tool_use import LAST_CALL, LoopLimits, ModelTurn, ToolCall, ToolSpec, run_tool_loop
from simnet.llm.wrappers import CachingProvider, RetryingProvider
from tests.support import llm_shapes as shapes
from tests.support.http_loopback import Reply

MESSAGES = "/v1/messages"
COMPLETIONS = "/v1/chat/completions"
TOOLS = (
    ToolSpec("get_count", "How many posts", {"type": "object", "properties": {}}),
    ToolSpec("get_post", "One post", {"type": "object", "properties": {"key": {"type": "string"}}}),
)
DATA = {"count": "17 posts", "p3": "@ana: the gift that changes nothing"}


def execute(call: ToolCall) -> str:
    """The 'stored run' of these tests: a table lookup, so what the model got is known."""
    if call.name == "get_count":
        return DATA["count"]
    if call.name == "get_post":
        return DATA[call.arguments["key"]]
    raise KeyError(call.name)


def anthropic_calls(*calls: tuple[str, str, dict]) -> dict:
    blocks = [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in calls]
    return shapes.anthropic_message(blocks, stop_reason="tool_use")


def openai_calls(*calls: tuple[str, str, str]) -> dict:
    body = shapes.chat_completion("", finish_reason="tool_calls")
    message = body["choices"][0]["message"]
    message["content"] = None
    message["tool_calls"] = [
        {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls
    ]
    return body


@pytest.fixture
def anthropic_chat(loopback) -> AnthropicToolChat:
    return AnthropicToolChat(
        AnthropicProvider(api_key="sk-test", model="claude-haiku-4-5", base_url=loopback.url, max_retries=0)
    )


@pytest.fixture
def openai_chat(loopback) -> OpenAIToolChat:
    provider = OpenAICompatProvider(base_url=f"{loopback.url}/v1", model="gpt-4o-mini", max_attempts=1)
    return OpenAIToolChat(provider)


def test_anthropic_tool_results_carry_the_data_back_with_the_call_ids(loopback, anthropic_chat):
    loopback.script(
        MESSAGES,
        Reply(200, anthropic_calls(("toolu_a", "get_count", {}), ("toolu_b", "get_post", {"key": "p3"}))),
        Reply(200, shapes.anthropic_text("There were 17 posts [post:p3].")),
    )
    outcome = run_tool_loop(
        anthropic_chat,
        system="Be brief.",
        prompt="Report.",
        tools=TOOLS,
        execute=execute,
        limits=LoopLimits(),
    )
    assert outcome.text == "There were 17 posts [post:p3]." and outcome.stop == "answered"
    first, second = (r.body for r in loopback.requests_to(MESSAGES))
    assert [t["name"] for t in first["tools"]] == ["get_count", "get_post"]
    assert first["tool_choice"] == {"type": "auto"} and first["system"] == "Be brief."
    assert second["messages"][1]["role"] == "assistant"
    assert [b["id"] for b in second["messages"][1]["content"]] == ["toolu_a", "toolu_b"]
    results = second["messages"][2]["content"]
    assert [(r["type"], r["tool_use_id"], r["content"]) for r in results] == [
        ("tool_result", "toolu_a", "17 posts"),
        ("tool_result", "toolu_b", DATA["p3"]),
    ]
    assert [c["name"] for c in outcome.calls] == ["get_count", "get_post"] and outcome.rounds == 1
    one_call = Usage(input_tokens=52, output_tokens=41)
    assert outcome.usage.calls == 2
    assert outcome.usage.cost_usd == pytest.approx(
        2 * cost_of(price_for("anthropic", "claude-haiku-4-5"), one_call)
    )


def test_openai_tool_messages_carry_the_data_back_with_the_call_ids(loopback, openai_chat):
    loopback.script(
        COMPLETIONS,
        Reply(200, openai_calls(("call_1", "get_post", '{"key": "p3"}'))),
        Reply(200, shapes.chat_completion("Ana mocked it [post:p3].")),
    )
    outcome = run_tool_loop(openai_chat, system="Be brief.", prompt="Report.", tools=TOOLS, execute=execute)
    assert outcome.text == "Ana mocked it [post:p3]."
    first, second = (r.body for r in loopback.requests_to(COMPLETIONS))
    assert first["tools"][1] == {
        "type": "function",
        "function": {"name": "get_post", "description": "One post", "parameters": TOOLS[1].input_schema},
    }
    assert first["tool_choice"] == "auto"
    assistant, tool = second["messages"][2], second["messages"][3]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": DATA["p3"]}
    assert outcome.usage.calls == 2 and outcome.usage.input_tokens == 2400


@pytest.mark.parametrize("protocol", ["anthropic", "openai"])
def test_the_round_bound_stops_a_model_that_keeps_calling_tools(
    loopback, anthropic_chat, openai_chat, protocol
):
    if protocol == "anthropic":
        chat, path = anthropic_chat, MESSAGES
        loopback.script(path, Reply(200, anthropic_calls(("toolu_x", "get_count", {}))))
    else:
        chat, path = openai_chat, COMPLETIONS
        loopback.script(path, Reply(200, openai_calls(("call_x", "get_count", "{}"))))
    outcome = run_tool_loop(
        chat, system="s", prompt="p", tools=TOOLS, execute=execute, limits=LoopLimits(max_rounds=3)
    )
    sent = [r.body for r in loopback.requests_to(path)]
    assert len(sent) == 4  # three rounds of tools, then one last call that forbids them
    assert outcome.rounds == 3 and outcome.stop == "round_limit" and len(outcome.calls) == 3
    choices = [b["tool_choice"] for b in sent]
    if protocol == "anthropic":
        assert choices == [{"type": "auto"}] * 3 + [{"type": "none"}]
        assert sent[-1]["messages"][-1]["content"][-1] == {"type": "text", "text": LAST_CALL}
    else:
        assert choices == ["auto"] * 3 + ["none"]
        assert sent[-1]["messages"][-1] == {"role": "user", "content": LAST_CALL}


class Scripted:
    """A ToolChat that plays given turns, for the loop's own bounds."""

    name, model = "scripted", "s-1"

    def __init__(self, *turns: ModelTurn | Exception) -> None:
        self.turns = list(turns)
        self.seen: list[bool] = []

    def turn(self, *, system, transcript, tools, use_tools, max_tokens) -> ModelTurn:
        self.seen.append(use_tools)
        turn = self.turns.pop(0)
        if isinstance(turn, Exception):
            raise turn
        return turn


def test_spending_the_budget_stops_the_tools_and_a_provider_failure_keeps_what_was_spent():
    costly = ModelTurn("", (ToolCall("1", "get_count", {}),), Usage(input_tokens=10, cost_usd=0.3))
    chat = Scripted(costly, ModelTurn("done", (), Usage(output_tokens=5, cost_usd=0.01)))
    outcome = run_tool_loop(chat, system="s", prompt="p", tools=TOOLS, execute=execute,
                            limits=LoopLimits(max_cost_usd=0.25))  # fmt: skip
    assert chat.seen == [True, False] and outcome.stop == "budget" and outcome.text == "done"
    assert outcome.usage.cost_usd == pytest.approx(0.31)

    failing = Scripted(costly, ProviderError("anthropic: out of credit"))
    outcome = run_tool_loop(failing, system="s", prompt="p", tools=TOOLS, execute=execute)
    assert outcome.stop == "provider_error" and outcome.error == "anthropic: out of credit"
    assert outcome.usage.cost_usd == pytest.approx(0.3) and outcome.text == ""


def test_an_unknown_tool_or_bad_arguments_come_back_to_the_model_as_errors():
    calls = (ToolCall("1", "drop_tables", {}), ToolCall("2", "get_post", {"key": "p404"}))
    chat = Scripted(ModelTurn("", calls), ModelTurn("ok"))
    outcome = run_tool_loop(chat, system="s", prompt="p", tools=TOOLS, execute=execute)
    assert [c["error"] for c in outcome.calls] == [True, True] and outcome.text == "ok"


def test_only_hosted_providers_converse_with_tools(loopback):
    raw = AnthropicProvider(api_key="sk-test", base_url=loopback.url)
    assert isinstance(tool_chat_for(CachingProvider(RetryingProvider(raw))), AnthropicToolChat)

    class Offline:
        name, model = "offline", "smol"

    with pytest.raises(ProviderError, match="only a hosted model"):
        tool_chat_for(Offline())


def test_a_refused_key_ends_the_conversation_with_the_providers_sentence(
    loopback, anthropic_chat, openai_chat
):
    loopback.script(MESSAGES, Reply(401, shapes.INVALID_KEY))
    loopback.script(COMPLETIONS, Reply(401, shapes.OPENAI_INVALID_KEY))
    for chat in (anthropic_chat, openai_chat):
        outcome = run_tool_loop(chat, system="s", prompt="p", tools=TOOLS, execute=execute)
        assert outcome.stop == "provider_error" and "invalid key" in outcome.error, outcome.error
        assert "sk-abc" not in outcome.error  # a customer's server's words are never repeated
