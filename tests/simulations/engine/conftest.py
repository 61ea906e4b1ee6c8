"""Small hand-made worlds for engine tests (no database)."""

from __future__ import annotations

import pytest

from simulations.engine import PanelSnapshot, Persona, World, WorldConfig, create_world
from simulations.engine.posts import Post, PostKind
from simulations.engine.testing import FIXED_START


def persona(pid: str, interests: str = "", **extra: object) -> Persona:
    return Persona(
        id=pid, handle=pid, display_name=pid.title(), card=f"{pid} card", interests=interests, **extra
    )  # type: ignore[arg-type]


@pytest.fixture
def trio() -> World:
    """ann follows bob; cat follows nobody. Every one online at every hour."""
    panel = PanelSnapshot(
        (
            persona("ann", "climate policy, renewable energy"),
            persona("bob", "football, transfer news"),
            persona("cat", "home cooking, recipes"),
        ),
        follows=(("ann", "bob"),),
    )
    return create_world(panel, WorldConfig(seed=1, start=FIXED_START))


def show(world: World, agent_id: str, *posts: Post) -> None:
    """Make ``posts`` count as seen by ``agent_id`` (as a feed would)."""
    for post in posts:
        world.mark_seen(agent_id, post.id)


def write(world: World, author: str, text: str, step: int = 0) -> Post:
    return world.add_post(author, PostKind.POST, text, step)
