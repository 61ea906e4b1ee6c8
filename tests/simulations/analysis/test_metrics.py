"""Engagement counts and a hand-built cascade whose size, depth and timing are computed by hand."""

from __future__ import annotations

from simulations.analysis.metrics import (
    cascade,
    descendants,
    engagement_by_segment,
    engagement_by_step,
    engagement_totals,
    stimulus_cascades,
)
from simulations.analysis.records import (
    ActionKind,
    ActionRecord,
    FollowEdge,
    ImpressionRecord,
    PersonaRecord,
    PostKind,
    PostRecord,
    follower_map,
)

# S <- r1 (p1, step 1) <- r2 (p2, step 2) <- r3 (p5, step 3)   : depth 3
# S <- q1 (p3, step 2) <- rp1 (p4, step 3)                      : depth 2
# likes: p6 on S (step 2), p1 on q1 (step 2), p7 on r3 (step 4); p10's reply was refused.
# u1 (p8) <- x1 (p9) is an unrelated thread.
STIMULUS = PostRecord("S", "brand", PostKind.POST, "Give the gift", 1, is_stimulus=True, stimulus_id="A")
POSTS = (
    STIMULUS,
    PostRecord("r1", "p1", PostKind.REPLY, "sexist", 1, parent_id="S", root_id="S"),
    PostRecord("r2", "p2", PostKind.REPLY, "exactly", 2, parent_id="r1", root_id="S"),
    PostRecord("q1", "p3", PostKind.QUOTE, "lol", 2, parent_id="S", root_id="S"),
    PostRecord("rp1", "p4", PostKind.REPOST, "", 3, parent_id="q1", root_id="S"),
    PostRecord("r3", "p5", PostKind.REPLY, "yes", 3, parent_id="r2", root_id="S"),
    PostRecord("u1", "p8", PostKind.POST, "my lunch", 2),
    PostRecord("x1", "p9", PostKind.REPLY, "nice lunch", 3, parent_id="u1", root_id="u1"),
)
ACTIONS = (
    ActionRecord(1, "p1", ActionKind.REPLY, "S", "r1", "sexist"),
    ActionRecord(2, "p2", ActionKind.REPLY, "r1", "r2", "exactly"),
    ActionRecord(2, "p3", ActionKind.QUOTE, "S", "q1", "lol"),
    ActionRecord(2, "p6", ActionKind.LIKE, "S"),
    ActionRecord(2, "p1", ActionKind.LIKE, "q1"),
    ActionRecord(3, "p4", ActionKind.REPOST, "q1", "rp1"),
    ActionRecord(3, "p5", ActionKind.REPLY, "r2", "r3", "yes"),
    ActionRecord(4, "p7", ActionKind.LIKE, "r3"),
    ActionRecord(2, "p8", ActionKind.POST, None, "u1", "my lunch"),
    ActionRecord(3, "p9", ActionKind.REPLY, "u1", "x1", "nice lunch"),
    ActionRecord(2, "p10", ActionKind.REPLY, "S", None, "rude", outcome="refused: target hidden"),
    ActionRecord(3, "p10", ActionKind.ERROR, None, None, "", outcome="timeout"),
    ActionRecord(3, "p6", ActionKind.FOLLOW, target_persona_id="p1"),
    ActionRecord(4, "p9", ActionKind.IGNORE),
)
IMPRESSIONS = (
    ImpressionRecord(1, 1, "p1", "S"),
    ImpressionRecord(2, 1, "p2", "r1"),
    ImpressionRecord(2, 1, "p3", "S"),
    ImpressionRecord(2, 1, "p6", "S"),
    ImpressionRecord(2, 1, "p9", "u1"),
    ImpressionRecord(3, 1, "p9", "S"),
    ImpressionRecord(4, 2, "p7", "r3"),
)


def test_descendants_follow_parent_links_with_depth():
    assert descendants(POSTS, "S") == {"S": 0, "r1": 1, "q1": 1, "r2": 2, "rp1": 2, "r3": 3}


def test_descendants_hang_posts_with_a_missing_parent_below_their_root():
    orphan = PostRecord("o1", "p1", PostKind.REPLY, "hm", 2, parent_id="deleted", root_id="S")
    assert descendants((*POSTS, orphan), "S")["o1"] == 1


def test_descendants_survive_a_cycle():
    loop = (
        PostRecord("a", "p1", PostKind.REPLY, "", 1, parent_id="b"),
        PostRecord("b", "p2", PostKind.REPLY, "", 1, parent_id="a"),
    )
    assert descendants(loop, "a") == {"a": 0, "b": 1}


def test_cascade_size_depth_and_time_to_peak_match_the_hand_count():
    result = cascade(STIMULUS, POSTS, ACTIONS, IMPRESSIONS)
    assert result.size == 7  # p1..p7; p10's refused reply does not count
    assert result.engaged_persona_ids == frozenset({"p1", "p2", "p3", "p4", "p5", "p6", "p7"})
    assert result.depth == 3
    assert result.descendant_posts == 5
    assert result.engagements == 8
    assert result.engagements_by_step == {1: 1, 2: 4, 3: 2, 4: 1}
    assert result.peak_step == 2
    assert result.time_to_peak == 1
    assert result.seen_by == 6  # p1, p3, p6, p9 saw S; p2 saw r1; p7 saw r3
    assert result.stimulus_id == "A"


def test_cascade_seen_by_ignores_views_of_other_threads():
    unrelated = (ImpressionRecord(2, 3, "p9", "u1"), ImpressionRecord(2, 1, "p8", "x1"))
    assert cascade(STIMULUS, POSTS, ACTIONS, unrelated).seen_by == 0


def test_cascade_audience_counts_followers_of_author_and_engagers():
    personas = [PersonaRecord("brand", followers=frozenset({"p20", "p21"}))]
    edges = [FollowEdge("p22", "p1"), FollowEdge("p21", "p3"), FollowEdge("p23", "p8")]
    result = cascade(STIMULUS, POSTS, ACTIONS, followers=follower_map(personas, edges))
    assert result.audience == 3  # p20, p21 (brand), p22 (p1); p23 follows p8, outside the cascade
    assert cascade(STIMULUS, POSTS, ACTIONS).audience is None


def test_cascade_without_engagement_has_no_peak():
    lonely = PostRecord("L", "brand", PostKind.POST, "hello", 5, is_stimulus=True)
    result = cascade(lonely, (lonely,), ())
    assert (result.size, result.depth, result.peak_step, result.time_to_peak) == (0, 0, None, None)
    assert result.seen_by is None


def test_stimulus_cascades_come_in_injection_order():
    late = PostRecord("T", "brand", PostKind.POST, "variant", 3, is_stimulus=True, stimulus_id="B")
    found = stimulus_cascades((late, *POSTS), ACTIONS)
    assert [c.stimulus_post_id for c in found] == ["S", "T"]


def test_engagement_totals_count_only_actions_that_took_effect():
    totals = engagement_totals(ACTIONS, IMPRESSIONS)
    assert (totals.likes, totals.reposts, totals.quotes, totals.replies) == (3, 1, 1, 4)
    assert (totals.follows, totals.posts, totals.engagements, totals.impressions) == (1, 1, 9, 8)
    assert totals.engagement_rate == 9 / 8
    assert totals.step is None


def test_engagement_by_step_includes_quiet_steps():
    rows = engagement_by_step(ACTIONS, IMPRESSIONS)
    assert [r.step for r in rows] == [0, 1, 2, 3, 4]
    assert [r.engagements for r in rows] == [0, 1, 4, 3, 1]
    assert [r.impressions for r in rows] == [0, 1, 4, 1, 2]
    assert rows[0].engagement_rate is None
    assert rows[2].engagement_rate == 1.0


def test_engagement_by_segment_uses_per_persona_impressions():
    personas = [
        PersonaRecord("p1", traits={"party": "left"}),
        PersonaRecord("p2", traits={"party": "left"}),
        PersonaRecord("p6", traits={"party": "right"}),
        PersonaRecord("p7", traits={}),
    ]
    rows = {r.segment: r for r in engagement_by_segment("party", personas, ACTIONS, IMPRESSIONS)}
    assert set(rows) == {"left", "right", "unknown"}
    left = rows["left"]
    assert (left.personas, left.engaged_personas, left.engagements, left.impressions) == (2, 2, 3, 2)
    assert left.engagement_rate == 1.5
    assert rows["right"].engagement_rate == 1.0  # p6: one like, one view
    assert rows["unknown"].engaged_share == 1.0


def test_engagement_by_segment_without_viewer_ids_gives_only_engaged_share():
    personas = [PersonaRecord("p1", traits={"interests": ["fitness", "tech"]}), PersonaRecord("p30")]
    rows = engagement_by_segment("interests", personas, ACTIONS, [ImpressionRecord(1, 40)])
    by_segment = {r.segment: r for r in rows}
    assert set(by_segment) == {"fitness", "tech", "unknown"}
    assert by_segment["fitness"].impressions is None and by_segment["fitness"].engagement_rate is None
    assert by_segment["unknown"].engaged_share == 0.0
