"""The offline model runs in a child process: its crash is an error for that call, never ours.

The children here are small scripts that speak the same pipe protocol as
``simnet.llm.offline_child``: one dies of a real SIGSEGV in native code (``ctypes.string_at(0)``)
once it has a request, the other answers. No model is loaded.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from simnet.llm import offline_process
from simnet.llm.base import LLMRequest, ProviderCrashed
from simnet.llm.offline_process import CRASH_LIMIT, OfflineProvider

CRASHING = """
    import ctypes, sys
    from simnet.llm.offline_process import receive
    receive(sys.stdin.buffer)  # load
    receive(sys.stdin.buffer)  # generate
    ctypes.string_at(0)  # SIGSEGV inside native code
"""
ANSWERING = """
    import sys
    from simnet.llm.base import LLMResponse
    from simnet.llm.offline_process import ChildDied, receive, send
    receive(sys.stdin.buffer)
    while True:
        try:
            _, requests = receive(sys.stdin.buffer)
        except ChildDied:
            break
        send(sys.stdout.buffer, ("ok", [LLMResponse(key=r.key, text="fine, thanks") for r in requests]))
"""
REQUESTS = [
    LLMRequest(key="a1", system="You are Ada.", user="Hi."),
    LLMRequest(key="a2", system="x", user="y"),
]


@pytest.fixture
def child(tmp_path, monkeypatch):
    """Point the provider at a child script; returns a function that switches scripts."""
    monkeypatch.setattr(offline_process, "_PROCESSES", {})

    def use(source: str) -> None:
        script = tmp_path / f"child{len(list(tmp_path.iterdir()))}.py"
        script.write_text(textwrap.dedent(source))
        monkeypatch.setattr(offline_process, "CHILD_COMMAND", (sys.executable, str(script)))

    yield use
    for process in offline_process._PROCESSES.values():
        process.close()


def test_a_native_crash_in_the_model_is_an_error_for_that_call(child):
    child(CRASHING)
    provider = OfflineProvider(model_path="/models/any.gguf")

    responses = provider.generate(REQUESTS)

    assert [r.key for r in responses] == ["a1", "a2"]
    for response in responses:
        assert "killed by SIGSEGV (a crash inside native code)" in response.error
        assert not response.retryable and not response.text  # backing off would only crash again


def test_a_crashed_child_is_replaced_and_a_good_answer_resets_the_count(child):
    child(CRASHING)
    provider = OfflineProvider(model_path="/models/any.gguf")
    provider.generate(REQUESTS)
    crashed = provider.process()._process

    child(ANSWERING)
    responses = provider.generate(REQUESTS)

    assert crashed is None  # forgotten once it died
    assert [r.text for r in responses] == ["fine, thanks", "fine, thanks"]
    assert all(r.error is None for r in responses)
    assert provider.process().crashes_in_a_row == 0


def test_repeated_crashes_raise_a_sentence_that_pauses_a_run(child):
    child(CRASHING)
    provider = OfflineProvider(model_path="/models/any.gguf")
    for _ in range(CRASH_LIMIT - 1):
        assert all(r.error for r in provider.generate(REQUESTS))

    with pytest.raises(ProviderCrashed) as raised:
        provider.generate(REQUESTS)

    assert f"{CRASH_LIMIT} times in a row" in str(raised.value) and "SIGSEGV" in str(raised.value)
    child(ANSWERING)
    assert provider.generate(REQUESTS)[0].text == "fine, thanks"  # a resumed run tries a fresh child


def test_every_provider_with_the_same_settings_shares_one_child(child):
    child(ANSWERING)
    first, second = OfflineProvider(model_path="/m.gguf"), OfflineProvider(model_path="/m.gguf")
    other = OfflineProvider(model_path="/m.gguf", n_ctx=1024)

    first.generate(REQUESTS)
    second.generate(REQUESTS)

    assert first.process() is second.process() is not other.process()
    assert first.process()._process is not None and other.process()._process is None  # started on use


def test_exit_descriptions():
    assert offline_process.describe_exit(-11) == "was killed by SIGSEGV (a crash inside native code)"
    assert offline_process.describe_exit(-9) == "was killed by SIGKILL"
    assert offline_process.describe_exit(3) == "exited with status 3"
