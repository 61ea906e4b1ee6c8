"""Example replies per variant: what people actually wrote, next to the numbers that sum it up.

A mean sentiment hides what the words were. For each variant the comparison page shows three
replies or quotes picked by their sentiment score: the most negative, a typical one (closest to
the median) and the most positive, each with its author's handle and the reason the persona
gave for writing it. Completed runs only, like the numbers they illustrate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from simulations.analysis.sentiment import default_classifier
from simulations.models import Experiment, RunAction, RunPost, RunStatus

RESPONSE_KINDS = ("reply", "quote")
MAX_SCORED = 2000  # responses scored per variant: enough to find the extremes, bounded work
T = TypeVar("T")


def representative(scored: Sequence[tuple[float, T]]) -> list[tuple[str, float, T]]:
    """(pick, score, item): the most negative, the one nearest the median, the most positive;
    an item is shown once even when it is two of these (one or two responses in all)."""
    if not scored:
        return []
    order = sorted(range(len(scored)), key=lambda i: scored[i][0])
    median = float(np.median([score for score, _ in scored]))
    typical = min(order, key=lambda i: abs(scored[i][0] - median))
    picks: list[tuple[str, float, T]] = []
    seen: set[int] = set()
    for pick, index in (("Most negative", order[0]), ("Typical", typical), ("Most positive", order[-1])):
        if index not in seen:
            seen.add(index)
            picks.append((pick, scored[index][0], scored[index][1]))
    return picks


def _responses(experiment: Experiment, variant: str) -> list[dict]:
    posts = RunPost.objects.filter(
        organization_id=experiment.organization_id,
        run__experiment=experiment,
        run__variant=variant,
        run__status=RunStatus.COMPLETED,
        kind__in=RESPONSE_KINDS,
    ).exclude(text="")
    return list(
        posts.order_by("run__seed", "run_id", "step", "id").values(
            "run_id", "post_key", "author_handle", "kind", "text"
        )[:MAX_SCORED]
    )


def _reasons(experiment: Experiment, posts: Sequence[dict]) -> dict[tuple[int, str], str]:
    actions = RunAction.objects.filter(
        organization_id=experiment.organization_id,
        run_id__in={p["run_id"] for p in posts},
        created_post_key__in={p["post_key"] for p in posts},
    )
    return {
        (run_id, key): reason
        for run_id, key, reason in actions.values_list("run_id", "created_post_key", "reason")
    }


def variant_examples(experiment: Experiment, labels: Sequence[str]) -> list[dict]:
    """For each variant label, in order: up to three example responses (JSON-able)."""
    classifier = default_classifier()
    examples = []
    for label in labels:
        posts = _responses(experiment, label)
        scores = [s.score for s in classifier.classify([p["text"] for p in posts])] if posts else []
        picked = representative(list(zip(scores, posts)))
        reasons = _reasons(experiment, [post for _, _, post in picked])
        examples.append(
            {
                "label": label,
                "responses": len(posts),
                "capped": len(posts) >= MAX_SCORED,
                "examples": [
                    {
                        "pick": pick,
                        "score": round(score, 3),
                        "handle": post["author_handle"],
                        "kind": post["kind"],
                        "text": post["text"],
                        "reason": reasons.get((post["run_id"], post["post_key"]), ""),
                        "run_id": post["run_id"],
                    }
                    for pick, score, post in picked
                ],
            }
        )
    return examples
