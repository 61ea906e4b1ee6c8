"""The process that runs llama.cpp for ``offline_process.OfflineProvider``; also the build check.

``python -m simnet.llm.offline_child`` reads a ``("load", settings)`` message and then
``("generate", requests)`` messages from standard input and answers each on the original standard
output. File descriptor 1 is pointed at standard error first, so whatever native code prints
never mixes with the answers. It ends when its input ends (its parent closed it, or died).

``python -m simnet.llm.offline_child --check`` loads each installed model and decodes one short
answer in this very process, exiting 0 when that worked: the install runs it in a child of its
own to learn whether a llama.cpp build crashes on this machine (``scripts/install_llama.py``).
"""

from __future__ import annotations

import os
import sys
from typing import Any, BinaryIO

from simnet.llm.base import LLMRequest, ProviderError
from simnet.llm.offline_process import ChildDied, receive, send


def serve(requests_in: BinaryIO, answers_out: BinaryIO) -> None:
    from simnet.llm.offline import InProcessOfflineModel

    kind, settings = receive(requests_in)
    if kind != "load":
        raise SystemExit(f"offline child: expected a load message, got {kind!r}")
    model = InProcessOfflineModel(**settings)
    while True:
        try:
            kind, requests = receive(requests_in)
        except ChildDied:  # the parent closed the pipe (or died): nothing left to answer
            return
        try:
            answer: tuple[str, Any] = ("ok", model.generate(requests))
        except ProviderError as err:
            answer = ("error", str(err))
        send(answers_out, answer)


def check() -> int:
    """One real decode of every installed offline model, here; 0 when each answered (the models
    run different kernels, so a build may crash on one and not the other)."""
    from simnet.llm.offline import InProcessOfflineModel
    from simnet.llm.offline_models import installed_offline_models

    for name in installed_offline_models() or [None]:
        answer = InProcessOfflineModel(model_name=name).generate(  # the settings the product runs with
            [LLMRequest(key="check", system="You are terse.", user="Say hello.", max_tokens=4)]
        )[0]
        if answer.error:
            print(f"offline model check ({name}): {answer.error}", file=sys.stderr)
            return 1
        print(f"offline model check ({name}): answered {answer.text!r}")
    return 0


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        raise SystemExit(check())
    answers_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native prints go to standard error, never into the answers
    serve(sys.stdin.buffer, answers_out)


if __name__ == "__main__":
    main()
