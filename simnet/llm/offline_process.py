"""The offline provider: the embedded model run in a child process, so a native crash fails a call.

llama.cpp is native code. A fault inside it (a CPU instruction the build assumed and this machine
refuses, a kernel bug) kills the process it runs in, and with it the web server or the worker
that asked. So neither ever loads the model: each keeps one child (``python -m
simnet.llm.offline_child``) per model setting, sends it a batch of requests over a pipe and
reads the answers back.

A child that dies answers that call with an error on every request, and a new child starts for the
next call. After ``CRASH_LIMIT`` crashes in a row the provider raises ``ProviderCrashed``, so a run
pauses with a sentence saying what happened instead of retrying forever. A crash is not marked
retryable: backing off and asking again (``RetryingProvider``) would only crash again.
"""

from __future__ import annotations

import atexit
import inspect
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from simnet.llm.base import LLMRequest, LLMResponse, ProviderCrashed, ProviderError

CHILD_COMMAND = (sys.executable, "-m", "simnet.llm.offline_child")
CRASH_LIMIT = 3
_HEADER = struct.Struct(">Q")


class ChildDied(Exception):
    """The child's pipe closed: it exited or was killed."""


def send(stream: BinaryIO, message: Any) -> None:
    """One length-prefixed pickle (both ends are this package's own code)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise ChildDied
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise ChildDied
    return pickle.loads(payload)


def describe_exit(returncode: int | None) -> str:
    """'killed by SIGSEGV (a crash inside native code)', 'exited with status 1', ..."""
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        crash = (
            " (a crash inside native code)"
            if name in {"SIGSEGV", "SIGILL", "SIGBUS", "SIGFPE", "SIGABRT"}
            else ""
        )
        return f"was killed by {name}{crash}"
    return f"exited with status {returncode}"


class ModelProcess:
    """One child serving one model setting; calls are serialised, a dead child is replaced."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.crashes_in_a_row = 0
        self.lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        with self.lock:
            if self.crashes_in_a_row >= CRASH_LIMIT:
                self.crashes_in_a_row = 0  # the next call (a resumed run) tries a fresh child
            try:
                kind, value = self._ask(("generate", list(requests)))
            except ChildDied:
                return self._crashed(requests)
            self.crashes_in_a_row = 0  # the child answered, even if with an error
        if kind == "error":
            raise ProviderError(value)
        return value

    def _ask(self, message: Any) -> tuple[str, Any]:
        process = self._running()
        try:
            send(process.stdin, message)
            return receive(process.stdout)
        except (BrokenPipeError, ConnectionResetError, EOFError, pickle.UnpicklingError) as err:
            raise ChildDied from err

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(CHILD_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            try:
                send(self._process.stdin, ("load", self.settings))
            except BrokenPipeError as err:
                raise ChildDied from err
        return self._process

    def _crashed(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        process, self._process = self._process, None
        returncode = None
        if process is not None:
            try:
                returncode = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.crashes_in_a_row += 1
        what = f"the offline model's process {describe_exit(returncode)} while answering"
        if self.crashes_in_a_row >= CRASH_LIMIT:
            raise ProviderCrashed(
                f"{what}, {self.crashes_in_a_row} times in a row. The llama.cpp build may not suit this "
                "machine's CPU: run `make install` again (it checks the build and falls back to a portable "
                "one) or choose another provider."
            )
        error = f"{what}; it is restarted for the next call"
        return [LLMResponse(key=request.key, text="", error=error) for request in requests]

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()  # the child ends at the end of its input
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_PROCESSES: dict[tuple, ModelProcess] = {}
_PROCESSES_LOCK = threading.Lock()


@atexit.register
def _close_processes() -> None:
    for process in _PROCESSES.values():
        process.close()
    _PROCESSES.clear()


class OfflineProvider:
    """The embedded model (see ``offline``), answered by a child process shared by every instance
    with the same settings in this process."""

    name = "offline"

    def __init__(
        self, *, model_name: str | None = None, model_path: str | None = None, **settings: Any
    ) -> None:
        """``model_name`` is one of ``offline_models.OFFLINE_MODELS`` (the default when None; an
        unknown one raises ``ProviderError``); ``settings`` are ``InProcessOfflineModel``'s (an
        unknown one raises ``TypeError`` here)."""
        from simnet.llm.offline import InProcessOfflineModel
        from simnet.llm.offline_models import offline_model

        spec = offline_model(model_name)
        self.model_path = model_path or spec.locate()
        self.model = Path(model_path).stem if model_path else spec.name
        bound = inspect.signature(InProcessOfflineModel).bind(
            model_name=spec.name, model_path=self.model_path, **settings
        )
        bound.apply_defaults()
        self.settings = dict(bound.arguments)

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        if not requests:
            return []
        return self.process().generate(requests)

    def process(self) -> ModelProcess:
        """The child for these settings (one per process: the model is loaded once)."""
        key = tuple(sorted(self.settings.items()))
        with _PROCESSES_LOCK:
            if key not in _PROCESSES:
                _PROCESSES[key] = ModelProcess(self.settings)
            return _PROCESSES[key]
