"""The one check every draft passes, from a model or a person: what it tidies and what it refuses."""

from __future__ import annotations

import pytest

from simulations.briefs.draft import DraftInvalid, clean_draft
from tests.simulations.briefs.drafts import MODEL_DRAFT


def test_a_draft_is_tidied_handles_made_unique_and_authors_matched():
    data = {
        **MODEL_DRAFT,
        "stakeholders": [
            {"name": "Shop owners", "handle": "", "stance": " Against  it. "},
            {"name": "Shop owners!", "handle": "", "stance": "Also against.", "groups": ["a", "A", "b"]},
        ],
        "posts": [{"author": "@SHOP_OWNERS", "text": "Closed for good?", "step": "3"}],
    }
    draft = clean_draft(data)
    assert [s.handle for s in draft.stakeholders] == ["Shop_owners", "Shop_owners_2"]
    assert draft.stakeholders[0].stance == "Against it." and draft.stakeholders[1].groups == ("a", "b")
    assert (draft.posts[0].author, draft.posts[0].step) == ("Shop_owners", 3)


@pytest.mark.parametrize(
    ("change", "place", "says"),
    [
        ({"question": " "}, "question", "Write the question"),
        ({"posts": []}, "posts", "1 to 20 opening posts; this draft has 0"),
        ({"stakeholders": "two people"}, "stakeholders", "2 to 30 stakeholders; this draft has 0"),
        ({"posts": [{"author": "a b", "text": "hi"}]}, "posts.0.author", "outside account"),
        ({"posts": [{"author": "x", "text": "hi", "step": 99}]}, "posts.0.step", "between 0 and 50"),
        ({"posts": [{"author": "x", "text": ""}]}, "posts.0.text", "Write the post"),
        (
            {"stakeholders": [{"name": "A", "handle": "same", "stance": "x"},
                              {"name": "B", "handle": "SAME", "stance": "y"}]},
            "stakeholders.1.handle", "not used twice",
        ),
    ],
)  # fmt: skip
def test_a_broken_draft_is_refused_at_the_place_that_is_wrong(change, place, says):
    with pytest.raises(DraftInvalid) as invalid:
        clean_draft({**MODEL_DRAFT, **change})
    assert says in invalid.value.fields[place][0]


def test_what_is_not_an_object_is_refused():
    with pytest.raises(DraftInvalid, match="not a JSON object"):
        clean_draft(["stakeholders"])
