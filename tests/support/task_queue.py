"""django-q2's queue for a run, in this process: tasks are recorded, then run one by one on demand.

``InlineQueue`` replaces ``async_task`` where runs queue their steps and shards, so a test sees
every task a step queues and decides when (and in which order) each runs, as separate workers
would take them, with no worker process.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from django.utils.module_loading import import_string

RUN_TASKS = ("simulations.tasks.advance_run", "simulations.tasks.decide_shard")


@dataclass(frozen=True)
class Done:
    task: str
    args: tuple
    outcome: str


class InlineQueue:
    def __init__(self, monkeypatch) -> None:
        from simulations.runs import queue, shards

        self.waiting: deque[tuple[str, tuple]] = deque()
        self.done: list[Done] = []
        for module in (queue, shards):
            monkeypatch.setattr(module, "async_task", self._record)

    def _record(self, task: str, *args, **_options) -> None:
        if task in RUN_TASKS:
            self.waiting.append((task, args))

    def take(self, task: str | None = None) -> list[tuple[str, tuple]]:
        """Remove and return the waiting tasks (only ``task``'s when given), without running them."""
        taken = [t for t in self.waiting if task is None or t[0] == task]
        self.waiting = deque(t for t in self.waiting if t not in taken)
        return taken

    def run(self, task: str, args: tuple) -> str:
        outcome = import_string(task)(*args)
        self.done.append(Done(task, args, str(outcome)))
        return str(outcome)

    def run_all(self, limit: int = 2000) -> list[Done]:
        """Run waiting tasks, first queued first, including those they queue, until none is left."""
        start = len(self.done)
        for _ in range(limit):
            if not self.waiting:
                return self.done[start:]
            self.run(*self.waiting.popleft())
        raise AssertionError(f"still {len(self.waiting)} task(s) waiting after {limit}")
