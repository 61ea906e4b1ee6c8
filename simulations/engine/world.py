"""The whole state of one run: personas, follow graph, posts, agents' memory, clock and RNG.

Everything that changes is serialisable: ``to_state()`` returns a JSON-able dict and
``World.from_state()`` rebuilds a world that behaves identically (same RNG state, same vectors,
same ids), so a run continued from a stored snapshot equals an uninterrupted one. Indexes that
only speed things up (recent posts, posts per author, followers) are rebuilt on load.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from simnet.llm.base import ZERO_USAGE, Usage
from simulations.engine.config import WorldConfig
from simulations.engine.meeting import MeetingState, Phase
from simulations.engine.memory import Memory
from simulations.engine.persona import PanelSnapshot, Persona
from simulations.engine.posts import Post, PostKind
from simulations.engine.stimuli import Boost, LoadImage, Stimulus, StimulusMedia, promoted_audience
from simulations.engine.vectors import SparseVector, TermIndex, blend, cosine

STATE_VERSION = 1
AUTHOR_RECENT = 3  # newest posts kept per author for follow-based candidates
HISTORY_DECAY = 0.7  # how fast an agent's engagement history forgets older topics
HISTORY_WEIGHT = 0.5  # history's pull on the interest profile
OUTSIDE_PREFIX = "ext:"

Embed = Callable[[str], Sequence[float]]


@dataclass
class AgentState:
    """What one agent carries between steps (besides the follow graph, which the world holds)."""

    memory: Memory
    interest_vector: SparseVector
    history_vector: SparseVector = field(default_factory=dict)
    seen: dict[str, None] = field(default_factory=dict)  # ordered set, bounded by seen_window
    liked: dict[str, None] = field(default_factory=dict)
    reposted: dict[str, None] = field(default_factory=dict)
    reported: dict[str, None] = field(default_factory=dict)
    downvoted: dict[str, None] = field(default_factory=dict)  # forum: one vote per post, up (liked) or down
    profile_cache: SparseVector | None = None  # derived, never stored

    def to_state(self) -> dict[str, Any]:
        """Empty parts are left out: most of 100,000 agents have liked, reposted or reported nothing."""
        state: dict[str, Any] = {
            "memory": self.memory.to_state(),
            "interest_vector": dict(self.interest_vector),
        }
        if self.history_vector:
            state["history_vector"] = dict(self.history_vector)
        for name in ("seen", "liked", "reposted", "reported", "downvoted"):
            marks = getattr(self, name)
            if marks:
                state[name] = list(marks)
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> AgentState:
        return cls(
            memory=Memory.from_state(state["memory"]),
            interest_vector=dict(state["interest_vector"]),
            history_vector=dict(state.get("history_vector", {})),
            seen=dict.fromkeys(state.get("seen", ())),
            liked=dict.fromkeys(state.get("liked", ())),
            reposted=dict.fromkeys(state.get("reposted", ())),
            reported=dict.fromkeys(state.get("reported", ())),
            downvoted=dict.fromkeys(state.get("downvoted", ())),
        )


@dataclass
class ForumState:
    """A forum's communities, which ones each agent reads, and each one's threads (root posts, oldest first)."""

    communities: list[str]
    members: dict[str, list[str]]  # agent id -> communities it reads
    threads: dict[str, list[str]]  # community -> root post ids

    def to_state(self) -> dict[str, Any]:
        return {
            "communities": list(self.communities),
            "members": {pid: list(names) for pid, names in self.members.items()},
            "threads": {name: list(ids) for name, ids in self.threads.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ForumState:
        return cls(
            communities=list(state["communities"]),
            members={pid: list(names) for pid, names in state["members"].items()},
            threads={name: list(ids) for name, ids in state["threads"].items()},
        )


def rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def rng_from_state(state: Sequence[Any]) -> random.Random:
    rng = random.Random()
    rng.setstate((state[0], tuple(state[1]), state[2]))
    return rng


def usage_from_dict(data: Mapping[str, Any]) -> Usage:
    known = {f.name for f in fields(Usage)}
    return Usage(**{k: v for k, v in data.items() if k in known})


def interest_text(persona: Persona) -> str:
    listed = persona.traits.get("interests")
    extra = " ".join(str(v) for v in listed) if isinstance(listed, (list, tuple)) else ""
    return " ".join(part for part in (persona.interests, persona.role, extra) if part)


class World:
    """Build with ``formats.create_world`` (a new run) or ``World.from_state`` (a stored snapshot)."""

    def __init__(self, config: WorldConfig, personas: Iterable[Persona], embed: Embed | None = None) -> None:
        self.config = config
        self.clock = config.clock
        self.personas: dict[str, Persona] = {p.id: p for p in personas}
        self.handles: dict[str, str] = {p.handle.lower(): p.id for p in self.personas.values()}
        self.outside: dict[str, str] = {}  # outside author id -> handle (brands, the agenda)
        self.following: dict[str, dict[str, None]] = {pid: {} for pid in self.personas}
        self.followers: dict[str, dict[str, None]] = {pid: {} for pid in self.personas}
        self.muted: dict[str, dict[str, None]] = {pid: {} for pid in self.personas}
        self.posts: dict[str, Post] = {}
        self.recent: deque[str] = deque(maxlen=config.candidate_window)
        self.by_author: dict[str, deque[str]] = {}
        self.agents: dict[str, AgentState] = {}
        self.terms = TermIndex()
        self.next_step = 0
        self.next_post_seq = 1
        self.rng = random.Random(config.seed)
        self.pending: list[Stimulus] = []
        self.boosts: list[Boost] = []
        self.spent: Usage = ZERO_USAGE
        self.meeting: MeetingState | None = None
        self.forum: ForumState | None = None
        self.embed = embed
        self.media: dict[str, StimulusMedia] = {}  # stimulus id -> its pictures and alt text
        self.load_image: LoadImage | None = None  # derived: picture reference -> bytes (Django side)
        self.prefixes: dict[str, str] = {}  # derived: prompt prefix per persona
        self.excerpts: dict[tuple[str, int], str] = {}  # derived: (post id, token budget) -> cut text
        self.seen_entries: dict[str, tuple[str, int]] = {}  # derived: memory entry of a seen post
        self._embeddings: dict[str, tuple[float, ...]] = {}  # derived: embed() results by post/agent id
        self._audiences: dict[tuple[str, float], frozenset[str]] = {}  # derived: boosted post -> audience

    # --- construction ----------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        panel: PanelSnapshot,
        config: WorldConfig,
        *,
        embed: Embed | None = None,
    ) -> World:
        """The panel's bare world; ``formats.create_world`` adds the format's setup and the stimuli."""
        world = cls(config, panel.personas, embed)
        for follower, followee in panel.follows:
            if follower != followee:
                world.follow(follower, followee)
        for persona in panel.personas:
            world.agents[persona.id] = AgentState(
                memory=Memory(config.memory_tokens), interest_vector=world.terms.add(interest_text(persona))
            )
        return world

    def to_state(self, *, include_panel: bool = True) -> dict[str, Any]:
        """JSON-able snapshot. Without the panel (``include_panel=False``) it is much smaller and
        ``from_state`` needs the same ``PanelSnapshot`` back."""
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "config": self.config.to_dict(),
            "outside": dict(self.outside),
            "following": {pid: list(ids) for pid, ids in self.following.items() if ids},
            "muted": {pid: list(ids) for pid, ids in self.muted.items() if ids},
            "posts": [post.to_dict() for post in self.posts.values()],
            "agents": {pid: agent.to_state() for pid, agent in self.agents.items()},
            "terms": self.terms.to_state(),
            "next_step": self.next_step,
            "next_post_seq": self.next_post_seq,
            "rng": rng_state(self.rng),
            "pending": [s.to_dict() for s in self.pending],
            "boosts": [b.to_dict() for b in self.boosts],
            "media": {sid: m.to_dict() for sid, m in self.media.items()},
            "spent": asdict(self.spent),
            "meeting": self.meeting.to_state() if self.meeting else None,
            "forum": self.forum.to_state() if self.forum else None,
        }
        if include_panel:
            state["personas"] = [p.to_dict() for p in self.personas.values()]
        return state

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, panel: PanelSnapshot | None = None, embed: Embed | None = None
    ) -> World:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported world state version {state.get('version')!r}")
        if "personas" in state:
            personas: Iterable[Persona] = [Persona.from_dict(p) for p in state["personas"]]
        elif panel is not None:
            personas = panel.personas
        else:
            raise ValueError("this snapshot was stored without its panel: pass panel=")
        world = cls(WorldConfig.from_dict(state["config"]), personas, embed)
        world.outside = dict(state["outside"])
        for follower, followees in state["following"].items():
            for followee in followees:
                world.follow(follower, followee)
        for muter, ids in state["muted"].items():
            world.muted[muter] = dict.fromkeys(ids)
        for data in state["posts"]:
            world._index(Post.from_dict(data))
        world.agents = {pid: AgentState.from_state(a) for pid, a in state["agents"].items()}
        world.terms = TermIndex.from_state(state["terms"])
        world.next_step = state["next_step"]
        world.next_post_seq = state["next_post_seq"]
        world.rng = rng_from_state(state["rng"])
        world.pending = [Stimulus.from_dict(s) for s in state["pending"]]
        world.boosts = [Boost.from_dict(b) for b in state["boosts"]]
        world.media = {sid: StimulusMedia.from_dict(m) for sid, m in state.get("media", {}).items()}
        world.spent = usage_from_dict(state["spent"])
        world.meeting = MeetingState.from_state(state["meeting"]) if state["meeting"] else None
        forum = state.get("forum")  # absent in states stored before forums
        world.forum = ForumState.from_state(forum) if forum else None
        return world

    # --- identities ------------------------------------------------------------------------------
    def handle_of(self, author_id: str) -> str:
        persona = self.personas.get(author_id)
        return persona.handle if persona else self.outside.get(author_id, author_id)

    def agent_for_handle(self, handle: str) -> str | None:
        return self.handles.get(handle.strip().lstrip("@").lower())

    def outside_account(self, handle: str) -> str:
        """Id of an outside author (a brand), registered on first use."""
        author_id = OUTSIDE_PREFIX + handle.strip().lstrip("@").lower()
        self.outside.setdefault(author_id, handle.strip().lstrip("@"))
        return author_id

    @property
    def finished(self) -> bool:
        return self.meeting is not None and self.meeting.phase is Phase.DONE

    # --- posts -----------------------------------------------------------------------------------
    def add_post(
        self,
        author_id: str,
        kind: PostKind,
        text: str,
        step: int,
        *,
        parent: Post | None = None,
        stimulus_id: str | None = None,
        community: str | None = None,
    ) -> Post:
        """A new post; a reply stays in its parent's community, a root post in a community opens a thread."""
        post = Post(
            id=f"p{self.next_post_seq}",
            seq=self.next_post_seq,
            author_id=author_id,
            kind=kind,
            text=text,
            step=step,
            parent_id=parent.id if parent else None,
            root_id=(parent.root_id or parent.id) if parent else None,
            is_stimulus=stimulus_id is not None,
            stimulus_id=stimulus_id,
            vector=self.terms.add(text) if text else {},
            community=parent.community if parent else community,
        )
        self.next_post_seq += 1
        self._index(post)
        if parent is None and post.community is not None and self.forum is not None:
            self.forum.threads[post.community].append(post.id)
        return post

    def _index(self, post: Post) -> None:
        self.posts[post.id] = post
        self.recent.append(post.id)
        self.by_author.setdefault(post.author_id, deque(maxlen=AUTHOR_RECENT)).append(post.id)

    def content(self, post: Post) -> Post:
        """The post a repost carries (a repost has no content of its own)."""
        if post.kind is PostKind.REPOST and post.parent_id:
            return self.posts[post.parent_id]
        return post

    # --- graph -----------------------------------------------------------------------------------
    def follow(self, follower: str, followee: str) -> None:
        self.following[follower][followee] = None
        self.followers[followee][follower] = None

    def unfollow(self, follower: str, followee: str) -> None:
        self.following[follower].pop(followee, None)
        self.followers[followee].pop(follower, None)

    def mute(self, muter: str, author_id: str) -> None:
        self.muted[muter][author_id] = None

    # --- what agents saw and like ------------------------------------------------------------------
    def mark_seen(self, agent_id: str, post_id: str) -> None:
        seen = self.agents[agent_id].seen
        seen.pop(post_id, None)
        seen[post_id] = None
        while len(seen) > self.config.seen_window:
            del seen[next(iter(seen))]

    def note_engagement(self, agent_id: str, post: Post) -> None:
        """Pull the agent's profile toward what it just engaged with or wrote."""
        agent = self.agents[agent_id]
        decayed = {term: w * HISTORY_DECAY for term, w in agent.history_vector.items()}
        agent.history_vector = blend(decayed, post.vector, 1.0)
        agent.profile_cache = None

    def profile(self, agent_id: str) -> SparseVector:
        agent = self.agents[agent_id]
        if agent.profile_cache is None:
            history = agent.history_vector
            agent.profile_cache = (
                blend(agent.interest_vector, history, HISTORY_WEIGHT) if history else agent.interest_vector
            )
        return agent.profile_cache

    def relevance(self, agent_id: str, post: Post) -> float:
        """0..1 similarity of a post to the agent (its interests and engagement history)."""
        return self.scorer(agent_id)(post)

    def scorer(self, agent_id: str) -> Callable[[Post], float]:
        """``relevance`` for one agent, with the profile looked up once (for ranking many posts)."""
        embed = self.embed
        if embed is not None:
            return lambda post: self._embedded_similarity(embed, agent_id, post)
        profile = self.profile(agent_id)
        return lambda post: min(1.0, cosine(profile, post.vector))  # both vectors are non-negative

    def _embedded_similarity(self, embed: Embed, agent_id: str, post: Post) -> float:
        agent_key = "agent:" + agent_id
        if agent_key not in self._embeddings:
            self._embeddings[agent_key] = self._embedding(embed, interest_text(self.personas[agent_id]))
        if post.id not in self._embeddings:
            self._embeddings[post.id] = self._embedding(embed, post.text)
        a, b = self._embeddings[agent_key], self._embeddings[post.id]
        return max(0.0, min(1.0, sum(x * y for x, y in zip(a, b))))

    @staticmethod
    def _embedding(embed: Embed, text: str) -> tuple[float, ...]:
        values = tuple(float(v) for v in embed(text))
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return tuple(v / norm for v in values)

    # --- stimuli ---------------------------------------------------------------------------------
    def inject(self, stimulus: Stimulus) -> Post | None:
        """Publish now (no ``at_step``, or a step already reached) or keep it for its step.

        A published stimulus is in feeds from the next planned step on.
        """
        if stimulus.author_id is not None and stimulus.author_id not in self.personas:
            raise ValueError(f"stimulus {stimulus.id}: author {stimulus.author_id} is not in the panel")
        if stimulus.at_step is not None and stimulus.at_step > self.next_step:
            self.pending.append(stimulus)
            return None
        return self._publish(stimulus)

    def publish_due(self) -> list[Post]:
        """Publish the pending stimuli whose step has come (called as a step ends)."""
        due = [s for s in self.pending if s.at_step is not None and s.at_step <= self.next_step]
        self.pending = [s for s in self.pending if s not in due]
        return [self._publish(s) for s in due]

    def _publish(self, stimulus: Stimulus) -> Post:
        author = stimulus.author_id or self.outside_account(stimulus.author_handle or "")
        community = None
        if self.forum is not None:
            placed = self.config.forum.stimulus_communities
            community = placed.get(stimulus.id, self.forum.communities[0])
        post = self.add_post(
            author, PostKind.POST, stimulus.text, self.next_step, stimulus_id=stimulus.id, community=community
        )
        if stimulus.images or stimulus.alt_text:
            self.media[stimulus.id] = StimulusMedia(stimulus.alt_text, stimulus.images)
        if stimulus.boost > 0:
            until = None if stimulus.boost_steps is None else self.next_step + stimulus.boost_steps - 1
            self.boosts.append(Boost(post.id, stimulus.boost, until))
        return post

    def active_boosts(self, step: int) -> list[Boost]:
        return [b for b in self.boosts if b.active_at(step)]

    def audience(self, boost: Boost) -> frozenset[str]:
        """The personas ``boost`` is promoted to (hashing and sorting the whole panel once per boost,
        not every step: 0.4 s at 100,000 personas)."""
        key = (boost.post_id, boost.share)
        if key not in self._audiences:
            self._audiences[key] = promoted_audience(boost.post_id, self.personas, boost.share)
        return self._audiences[key]

    # --- keeping the state bounded ---------------------------------------------------------------
    def reachable_posts(self, extra: Iterable[str] = ()) -> set[str]:
        """Every post a later step can still show, answer or name, plus ``extra`` (posts the caller
        still reads, e.g. this step's feeds). Feeds draw only from the recent window, the newest
        posts per author and boosted posts, so a post out of all three never comes back; a kept
        post keeps its parent chain (a repost shows its original, a reply names whom it answers).
        Stimulus posts stay: the Django side recognises a stimulus as published by its post."""
        keep = set(self.recent)
        keep.update(post_id for ids in self.by_author.values() for post_id in ids)
        keep.update(boost.post_id for boost in self.boosts)
        keep.update(post_id for post_id in extra if post_id in self.posts)
        keep.update(post.id for post in self.posts.values() if post.is_stimulus)
        for post_id in list(keep):
            parent_id = self.posts[post_id].parent_id
            while parent_id is not None and parent_id not in keep and parent_id in self.posts:
                keep.add(parent_id)
                parent_id = self.posts[parent_id].parent_id
        return keep

    def prune(self, extra: Iterable[str] = ()) -> int:
        """Drop the posts no later step can reach (``reachable_posts``) and every trace of them that
        only served to act on them again (likes, reposts, reports, votes, derived caches). An agent's
        ``seen`` window is left alone: it is bounded already and which ids it evicts shapes feeds.
        Returns how many posts were dropped. Deterministic: a pure function of the state."""
        keep = self.reachable_posts(extra)
        dropped = [post_id for post_id in self.posts if post_id not in keep]
        if not dropped:
            return 0
        self.posts = {post_id: post for post_id, post in self.posts.items() if post_id in keep}
        gone = set(dropped)
        for agent in self.agents.values():
            for marks in (agent.liked, agent.reposted, agent.reported, agent.downvoted):
                if marks and not gone.isdisjoint(marks):
                    for post_id in [p for p in marks if p in gone]:
                        del marks[post_id]
        self.seen_entries = {k: v for k, v in self.seen_entries.items() if k not in gone}
        self.excerpts = {k: v for k, v in self.excerpts.items() if k[0] not in gone}
        self._embeddings = {k: v for k, v in self._embeddings.items() if k not in gone}
        return len(dropped)
