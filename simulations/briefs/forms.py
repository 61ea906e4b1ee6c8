"""Input shapes of the brief pages: the new-brief form, and the draft editor's rows read back.

The draft editor is plain indexed inputs (``s-0-name``, ``p-1-text``) with a "remove" box on each
row and blank rows to add, so it works without JavaScript; the rules stay in ``draft.clean_draft``.
"""

from __future__ import annotations

from django import forms

from simnet.providers.selectors import hosted_provider_list
from simulations.briefs.parse import ACCEPTED, MAX_CHARS
from simulations.briefs.starters import STARTERS

STAKEHOLDER_FIELDS = ("name", "handle", "stance", "interests", "groups", "bio")
POST_FIELDS = ("author", "text", "step")
BLANK_STAKEHOLDERS = 2  # blank rows the editor offers for new stakeholders
BLANK_POSTS = 1


class BriefForm(forms.Form):
    title = forms.CharField(max_length=160, required=False, help_text="Leave empty to use the first line.")
    text = forms.CharField(
        label="Paste the brief",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"A news article, a policy draft or a campaign brief: up to {MAX_CHARS:,} characters.",
    )
    file = forms.FileField(label="…or upload a document", required=False, help_text=f"One of {ACCEPTED}.")
    provider = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="The hosted model that reads the brief (one call)."
    )

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = hosted_provider_list(organization=organization)


class StarterForm(forms.Form):
    starter = forms.ChoiceField(choices=[(key, s["title"]) for key, s in STARTERS.items()])


def _rows(data, prefix: str, fields: tuple[str, ...]) -> list[dict]:
    """The rows posted under ``prefix``, in index order, without removed and all-blank ones."""
    indexes = sorted(
        {
            int(key.split("-")[1])
            for key in data
            if key.startswith(f"{prefix}-") and key.split("-")[1].isdigit()
        }
    )
    rows = []
    for i in indexes:
        row = {name: data.get(f"{prefix}-{i}-{name}", "").strip() for name in fields}
        if data.get(f"{prefix}-{i}-remove") or not any(row.values()):
            continue
        rows.append(row)
    return rows


def posted_draft(data) -> dict:
    """The draft as the editor posted it, in the shape ``clean_draft`` reads."""
    stakeholders = _rows(data, "s", STAKEHOLDER_FIELDS)
    for person in stakeholders:
        person["groups"] = [g.strip() for g in person["groups"].split(",") if g.strip()]
    return {
        "summary": data.get("summary", "").strip(),
        "stakeholders": stakeholders,
        "posts": _rows(data, "p", POST_FIELDS),
        "question": data.get("question", "").strip(),
    }


def editor_rows(draft: dict, *, editable: bool) -> tuple[list[dict], list[dict]]:
    """The editor's stakeholder and post rows: the draft's, then (when editable) blank ones to add."""
    people = [{**p, "groups": ", ".join(p.get("groups") or [])} for p in draft.get("stakeholders") or []]
    posts = list(draft.get("posts") or [])
    if editable:
        people += [dict.fromkeys(STAKEHOLDER_FIELDS, "") for _ in range(BLANK_STAKEHOLDERS)]
        posts += [dict.fromkeys(POST_FIELDS, "") for _ in range(BLANK_POSTS)]
    return people, posts
