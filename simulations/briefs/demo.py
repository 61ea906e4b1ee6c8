"""The demo's brief: a short news item and the draft it makes, so a new user sees what a brief
becomes before setting up a hosted model. The draft was written by hand and says so
(``Origin.EXAMPLE``); it is left unapplied, to edit and make a world from. Idempotent by title."""

from __future__ import annotations

from django.utils import timezone

from simulations.briefs.draft import clean_draft
from simulations.models import BriefDraft

TITLE = "School phone ban (example brief)"
TEXT = """The city's school board proposes to ban phones in all secondary schools from September.
Phones would be kept in lockers during the school day. The board says classes are calmer and
bullying falls where schools tried it. The parents' association is split: many support the ban,
others want to reach their children in an emergency. The teachers' union backs it but asks who
enforces it. Students' representatives call it a punishment for everyone. The board votes next month."""
DRAFT = {
    "summary": "The school board proposes to ban phones in secondary schools during the school day.",
    "stakeholders": [
        {"name": "School board", "handle": "SchoolBoard", "stance": "For: calmer classes, less bullying.",
         "interests": "learning, safety", "groups": ["board"], "bio": "Votes on the ban next month."},
        {"name": "Parents for the ban", "handle": "ParentsFor", "stance": "For: less screen time.",
         "interests": "children's focus, wellbeing", "groups": ["parents"], "bio": ""},
        {"name": "Parents against the ban", "handle": "ParentsAgainst",
         "stance": "Against: they need to reach their children in an emergency.",
         "interests": "safety, contact", "groups": ["parents"], "bio": ""},
        {"name": "Teachers' union", "handle": "TeachersUnion", "stance": "For, but asks who enforces it.",
         "interests": "workload, classroom calm", "groups": ["teachers"], "bio": ""},
        {"name": "Students' council", "handle": "StudentCouncil", "stance": "Against: a punishment for everyone.",
         "interests": "autonomy, fairness", "groups": ["students"], "bio": ""},
    ],
    "posts": [
        {"author": "SchoolBoard", "step": 0,
         "text": "We propose phone-free school days from September: phones stay in lockers. Have your say."},
        {"author": "StudentCouncil", "step": 1,
         "text": "Locking away everyone's phone because of a few is not fair. Talk to us first."},
    ],
    "question": "Should secondary schools keep phones in lockers during the school day?",
}  # fmt: skip


def ensure_demo_brief(*, organization, user) -> BriefDraft:
    """The example brief of ``organization`` (created once)."""
    existing = BriefDraft.objects.for_org(organization).filter(title=TITLE).first()
    if existing is not None:
        return existing
    return BriefDraft.objects.create(
        organization=organization, title=TITLE, source_kind="paste", text=TEXT,
        origin=BriefDraft.Origin.EXAMPLE, status=BriefDraft.Status.COMPLETED,
        draft=clean_draft(DRAFT).to_dict(), created_by=user, finished_at=timezone.now(),
    )  # fmt: skip
