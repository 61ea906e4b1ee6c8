"""A readable, plain-text timeline of a run for the command line."""

from __future__ import annotations

from collections.abc import Iterable

from simnet.llm.tokens import trim_to_tokens
from simulations.engine.actions import ActionResult, ActionType, Outcome
from simulations.engine.world import World

TEXT_TOKENS = 40


def format_timeline(world: World, results: Iterable[ActionResult], *, include_ignored: bool = False) -> str:
    """One line per stimulus and per action, in step order: ``s3 Mon 11:00 @ann reply -> @bob: text``."""
    rows: list[tuple[int, int, str]] = []
    for post in world.posts.values():
        if post.is_stimulus:
            boosted = " [boosted]" if any(b.post_id == post.id for b in world.boosts) else ""
            rows.append(
                (
                    post.step,
                    0,
                    _line(
                        world, post.step, world.handle_of(post.author_id), "STIMULUS" + boosted, "", post.text
                    ),
                )
            )
    for order, result in enumerate(results, start=1):
        if result.action is ActionType.IGNORE and not include_ignored:
            continue
        rows.append(
            (
                result.step,
                order,
                _line(world, result.step, world.handle_of(result.agent_id), *_describe(world, result)),
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return "\n".join(line for _, _, line in rows)


def _describe(world: World, result: ActionResult) -> tuple[str, str, str]:
    action = str(result.action) + (f" ({result.position})" if result.position else "")
    target = ""
    if result.target_post_id and result.target_post_id in world.posts:
        target = f" -> @{world.handle_of(world.posts[result.target_post_id].author_id)}"
    elif result.target_agent_id:
        target = f" -> @{world.handle_of(result.target_agent_id)}"
    if result.outcome is Outcome.INVALID:
        return action, target, f"[invalid: {result.message}]"
    if result.outcome is Outcome.ERROR:
        return action, target, f"[error: {result.message}]"
    if result.outcome is Outcome.MODERATED:
        return action, target, f"[stopped by the content policy: {result.message}]"
    return action, target, result.text


def _line(world: World, step: int, handle: str, action: str, target: str, text: str) -> str:
    said = f": {trim_to_tokens(' '.join(text.split()), TEXT_TOKENS)}" if text else ""
    return f"s{step:<3} {world.clock.label(step)}  @{handle:<18} {action}{target}{said}"
