"""The narrative model's tools, answered from one stored run and nothing else.

Each tool reads rows of this run only (its statistical report, its posts, its interviews), so
whatever the model writes about the run, it can only have read here. Posts are shown with the
key the model must cite (``[p7] @ana reply to p3, step 2: ...``): plain lines cost fewer tokens
than JSON and carry the same facts. Interviews go through the product's own interview path
(``runs.services.run_interview``): the agent answers in character through the run's provider,
and the interview is stored with the run like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db.models import F, Q

from simnet.llm.tool_use import ToolCall
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.narrative import MAX_QUOTES, MAX_THREADS, metrics_digest
from simulations.insight import reports
from simulations.models import Interview, Run, RunPost
from simulations.runs import worlds
from simulations.runs.services import run_interview

MAX_INTERVIEWS = 3  # each is a call to the run's own provider: a few voices, not a survey
POST_CHARS = 280


def _engagement():
    return F("likes") + F("reposts") + F("quotes") + F("replies")


def _line(post: RunPost, depth: int = 0) -> str:
    to = f" to {post.parent_key}" if post.parent_key else ""
    counts = f"{post.likes} likes, {post.replies} replies, {post.quotes} quotes, {post.reposts} reposts"
    text = post.text[:POST_CHARS] + ("…" if len(post.text) > POST_CHARS else "")
    stimulus = " (stimulus)" if post.is_stimulus else ""
    return f"{'  ' * depth}[{post.post_key}] @{post.author_handle} {post.kind}{to}{stimulus}, step {post.step}, {counts}: {text}"


def _limit(arguments, default: int, most: int) -> int:
    value = arguments.get("limit", default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("limit must be a whole number")
    return max(1, min(value, most))


class RunTools:
    """Calls of the narrative's model, answered from ``run``'s stored rows."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.interviews_asked = 0
        self._handles: dict[str, str] | None = None

    def __call__(self, call: ToolCall) -> str:
        tool = {
            "get_metrics": self.metrics,
            "list_threads": self.threads,
            "search_quotes": self.quotes,
            "interview_agent": self.interview,
        }.get(call.name)
        if tool is None:
            raise KeyError(f"no tool named {call.name!r}")
        return tool(dict(call.arguments))

    def _posts(self):
        return RunPost.objects.filter(organization_id=self.run.organization_id, run=self.run)

    def metrics(self, arguments) -> str:
        return json.dumps(
            metrics_digest(reports.run_report_data(self.run)), separators=(",", ":"), default=str
        )

    def threads(self, arguments) -> str:
        root_key = arguments.get("root_key")
        if root_key:
            return self._thread(str(root_key))
        roots = (
            self._posts()
            .filter(Q(parent_key="") | Q(is_stimulus=True))
            .exclude(kind="repost")
            .annotate(engagement=_engagement())
            .order_by("-engagement", "step", "id")[: _limit(arguments, 5, MAX_THREADS)]
        )
        lines = [_line(post) for post in roots]
        return "\n".join(lines) if lines else "This run has no posts."

    def _thread(self, root_key: str) -> str:
        posts = list(self._posts().filter(Q(post_key=root_key) | Q(root_key=root_key)).order_by("step", "id"))
        if not any(p.post_key == root_key for p in posts):
            raise ValueError(f"no post {root_key} in this run")
        children: dict[str, list[RunPost]] = {}
        for post in posts:
            children.setdefault(post.parent_key, []).append(post)
        lines: list[str] = []

        def walk(post: RunPost, depth: int) -> None:
            lines.append(_line(post, depth))
            for child in children.get(post.post_key, []):
                walk(child, depth + 1)

        walk(next(p for p in posts if p.post_key == root_key), 0)
        return "\n".join(lines)

    def quotes(self, arguments) -> str:
        kind = arguments.get("kind")
        rows = self._posts().filter(kind=kind) if kind else self._posts().filter(kind__in=("reply", "quote"))
        if contains := str(arguments.get("contains") or "").strip():
            rows = rows.filter(text__icontains=contains)
        rows = rows.exclude(text="").annotate(engagement=_engagement()).order_by("-engagement", "step", "id")
        lines = [_line(post) for post in rows[: _limit(arguments, 20, MAX_QUOTES)]]
        return "\n".join(lines) if lines else "No post matches."

    def interview(self, arguments) -> str:
        handle = str(arguments.get("handle") or "").lstrip("@").strip()
        if not handle:
            return self._held_interviews()
        question = str(arguments.get("question") or "").strip()
        if not question:
            raise ValueError("give the question to ask")
        if self.interviews_asked >= MAX_INTERVIEWS:
            return f"No more interviews: at most {MAX_INTERVIEWS} per narrative."
        agent_key = self.agent_keys().get(handle.casefold())
        if agent_key is None:
            raise ValueError(f"no agent @{handle} in this run")
        self.interviews_asked += 1
        try:
            interview = run_interview(run=self.run, actor=SYSTEM, agent_key=agent_key, question=question)
        except ApplicationError as refused:
            raise ValueError(refused.message) from None
        if interview.error:
            return f"@{interview.handle} could not answer: {interview.error}"
        return (
            f"@{interview.handle} (interview #{interview.pk}, at step {interview.step}): {interview.answer}"
        )

    def agent_keys(self) -> dict[str, str]:
        """Handle (case-blind) -> agent key, for the run's personas."""
        if self._handles is None:
            world = worlds.load_world(self.run)
            self._handles = {p.handle.casefold(): key for key, p in world.personas.items()}
        return self._handles

    def _held_interviews(self) -> str:
        held: Iterable[Interview] = Interview.objects.filter(
            organization_id=self.run.organization_id, run=self.run, error=""
        ).order_by("created_at", "id")[:20]
        lines = [f"@{i.handle} was asked “{i.question}” and said: {i.answer}" for i in held]
        return "\n".join(lines) if lines else "No interview has been held for this run yet."
