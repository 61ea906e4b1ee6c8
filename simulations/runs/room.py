"""The run room's data: the first paint of a run, and the context of each live fragment.

Consistency with the websocket: the page reads the run row first (its ``last_event_seq``,
progress and world state come from one commit), then the posts. Anything committed after
that row was read arrives again as an event with a higher sequence number; the browser
(static/js/runroom.js) drops a fragment whose post is already on the page, so nothing is
missed and nothing is shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import reverse
from django.utils import timezone

from simulations.engine.meeting import Phase, Utterance
from simulations.engine.minutes import Minutes, build_minutes
from simulations.engine.world import World
from simulations.models import (
    Interview,
    Run,
    RunAction,
    RunEvent,
    RunPost,
    RunSnapshot,
    RunStatus,
    Scenario,
    Stimulus,
)
from simulations.runs import persistence, selectors, worlds
from simulations.runs.presenters import (
    PostView,
    post_views,
    progress_view,
    segment_options,
    segments_by_author,
    thread_tree,
)

PHASE_LABELS = {
    Phase.OPEN: "opening",
    Phase.DISCUSS: "discussion",
    Phase.VOTE: "voting",
    Phase.DONE: "meeting closed",
}


@dataclass(frozen=True)
class RoomContext:
    """What rendering a live fragment needs to know about its run; fixed once the run started."""

    format: str
    panel_id: int
    agenda: tuple[str, ...]
    segments: dict[str, tuple[str, ...]]
    roles: dict[str, str]
    handles: dict[str, str]
    images: dict[str, str]


def build_room_context(run: Run) -> RoomContext:
    personas = worlds.run_personas(run)
    return RoomContext(
        format=run.scenario.format,
        panel_id=run.scenario.panel_id,
        agenda=tuple(run.scenario.agenda or ()),
        segments=segments_by_author(personas),
        roles={str(p["id"]): p.get("role", "") for p in personas},
        handles={str(p["id"]): p.get("handle", "") for p in personas},
        images=stimulus_images(run),
    )


@lru_cache(maxsize=64)
def _room_context(run_id: int, created_at: str) -> RoomContext:
    return build_room_context(Run.unscoped.select_related("scenario").get(pk=run_id))


def room_context(run_id: int) -> RoomContext:
    """Cached per run (keyed with its creation time, so a reused id never gets a stale entry)."""
    created_at = Run.unscoped.filter(pk=run_id).values_list("created_at", flat=True).get()
    return _room_context(run_id, created_at.isoformat())


def stimulus_images(run: Run) -> dict[str, str]:
    """Engine stimulus key ("s<pk>") -> URL of its uploaded image."""
    stimuli = Stimulus.objects.filter(organization_id=run.organization_id, scenario_id=run.scenario_id)
    return {
        f"s{pk}": reverse("stimulus_image", args=[pk])
        for pk in stimuli.exclude(image="").exclude(image__isnull=True).values_list("pk", flat=True)
    }


def post_reasons(run: Run | RunEvent, post_keys: list[str] | None = None) -> dict[str, str]:
    """Post key -> the reason its author's decision gave (all the run's posts, or ``post_keys``)."""
    run_id = run.run_id if isinstance(run, RunEvent) else run.pk
    actions = RunAction.objects.filter(organization_id=run.organization_id, run_id=run_id).exclude(reason="")
    if post_keys is not None:
        actions = actions.filter(created_post_key__in=post_keys)
    return dict(actions.exclude(created_post_key="").values_list("created_post_key", "reason"))


# --- roundtable ------------------------------------------------------------------------------


def transcript_line(
    post: PostView, *, roles: dict[str, str], utterance: Any = None, replied_to: str = ""
) -> dict:
    """A transcript entry: an agenda heading, shared material, or a member speaking or voting."""
    return {
        "post": post,
        "is_agenda": not post.parent_key and not post.is_stimulus and post.author_key not in roles,
        "role": roles.get(post.author_key, ""),
        "phase": getattr(utterance, "phase", "") if utterance else ("speak" if post.parent_key else ""),
        "position": getattr(utterance, "position", None) if utterance else None,
        "replied_to": replied_to,
    }


def saved_utterance(run_id: int, post_key: str) -> Utterance | None:
    """The meeting contribution behind a transcript post, from the run's latest saved meeting (a
    meeting is snapshotted every step). The post's event commits with that snapshot and utterances
    only accumulate, so a later snapshot has it too."""
    latest = RunSnapshot.unscoped.filter(run_id=run_id).order_by("-step")
    meeting = latest.values_list("state__meeting", flat=True).first() or {}
    for raw in meeting.get("utterances", ()):
        if raw.get("post_id") == post_key:
            return Utterance(**raw)
    return None


def meeting_view(world: World, agenda: tuple[str, ...]) -> dict | None:
    meeting = world.meeting
    if meeting is None:
        return None
    item = min(meeting.item, max(len(agenda) - 1, 0))
    return {
        "item_number": item + 1,
        "item_count": len(agenda),
        "agenda": agenda[item] if agenda else "",
        "phase": PHASE_LABELS.get(meeting.phase, str(meeting.phase)),
        "done": meeting.phase is Phase.DONE,
    }


def minutes_so_far(world: World) -> Minutes | None:
    """The minutes once any item has been voted on, or once the meeting is over: a meeting
    where nobody voted still has minutes, and they say "no vote"."""
    if world.meeting is None:
        return None
    minutes = build_minutes(world)
    voted = any(sum(item.votes.values()) for item in minutes.items)
    return minutes if voted or world.meeting.phase is Phase.DONE else None


# --- the page --------------------------------------------------------------------------------


@dataclass
class RunRoom:
    run: Run
    last_seq: int
    progress: dict
    is_roundtable: bool
    roots: list[PostView]
    post_count: int
    negative_count: int
    transcript: list[dict]
    meeting: dict | None
    minutes: Minutes | None
    activity: list[RunEvent]
    interviews: list[Interview]
    personas: list[dict]
    segments: list[tuple[str, str]]
    is_final: bool


def run_room(run: Run, *, segment: str = "") -> RunRoom:
    """Everything the run room paints, read in the order the module docstring explains."""
    last_seq = run.last_event_seq
    personas = worlds.run_personas(run)
    context = build_room_context(run)
    rows = RunPost.objects.filter(run=run).order_by("step", "id")
    views = post_views(
        rows, segments=context.segments, segment=segment, image_urls=context.images, panel_id=context.panel_id,
        reasons=post_reasons(run),
    )  # fmt: skip
    is_roundtable = context.format == Scenario.Format.ROUNDTABLE
    transcript, meeting, minutes = [], None, None
    if is_roundtable:
        world = worlds.load_world(run)
        utterances = {u.post_id: u for u in world.meeting.utterances} if world.meeting else {}
        for view in views:
            utterance = utterances.get(view.key)
            replied = (
                world.handle_of(utterance.replied_to_agent)
                if utterance and utterance.replied_to_agent
                else ""
            )
            transcript.append(
                transcript_line(view, roles=context.roles, utterance=utterance, replied_to=replied)
            )
        meeting = meeting_view(world, context.agenda)
        minutes = minutes_so_far(world)
    return RunRoom(
        run=run,
        last_seq=last_seq,
        progress=progress_view(
            persistence.progress_payload(run),
            started_at=run.started_at,
            fork_step=run.fork_step,
            now=run.finished_at or timezone.now(),
        ),
        is_roundtable=is_roundtable,
        roots=[] if is_roundtable else thread_tree(views),
        post_count=len(views),
        negative_count=sum(v.negative for v in views),
        transcript=transcript,
        meeting=meeting,
        minutes=minutes,
        activity=selectors.run_activity(run, up_to_seq=last_seq),
        interviews=selectors.run_interviews(run),
        personas=personas,
        segments=segment_options(personas),
        is_final=run.status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED),
    )


# --- live fragments --------------------------------------------------------------------------

ACTIVITY_KINDS = ("status", "step_done", "agent_errors", "stimulus_published", "injected", "meeting")


def fragment_context(event: RunEvent) -> dict[str, Any]:
    """Extra template context of one event's fragment (see templates/simulations/events/)."""
    data = event.payload
    extra: dict[str, Any] = {"activity": event.kind not in ("post", "counters", "progress")}
    if event.kind == "post":
        context = room_context(event.run_id)
        [view] = post_views(
            [data], segments=context.segments, image_urls=context.images, panel_id=context.panel_id,
            reasons=post_reasons(event, [data.get("post_key", "")]),
        )  # fmt: skip
        extra["post"] = view
        if context.format == Scenario.Format.ROUNDTABLE:  # the same line as the first paint's
            utterance = saved_utterance(event.run_id, view.key)
            replied = utterance.replied_to_agent if utterance else None
            extra["line"] = transcript_line(
                view, roles=context.roles, utterance=utterance,
                replied_to=context.handles.get(replied, replied or ""),
            )  # fmt: skip
    elif event.kind == "counters":
        extra["show_counters"] = room_context(event.run_id).format == Scenario.Format.FEED
    elif event.kind == "progress":
        timing = Run.unscoped.filter(pk=event.run_id).values("started_at", "fork_step").get()
        extra["progress"] = progress_view(
            data, started_at=timing["started_at"], fork_step=timing["fork_step"], now=event.created_at
        )
    elif event.kind == "status":  # the panel too: no ETA while paused or after the end
        run = Run.unscoped.get(pk=event.run_id)
        payload = {**persistence.progress_payload(run), "status": data.get("status", run.status)}
        extra["progress"] = progress_view(
            payload, started_at=run.started_at, fork_step=run.fork_step, now=event.created_at
        )
    elif event.kind == "meeting":
        run = Run.unscoped.select_related("scenario").get(pk=event.run_id)
        world = worlds.load_world(run)
        extra["meeting"] = meeting_view(world, tuple(run.scenario.agenda or ()))
        extra["minutes"] = minutes_so_far(world)
    return extra
