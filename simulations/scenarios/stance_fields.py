"""Stance polls and deliberation on scenarios: validation, settings, builder and API fields.

``Scenario.settings["stance_polls"]`` (``{"question", "every", "agree_side"}``) asks a run's
personas the question at the start, every ``every`` steps and at the end;
``settings["deliberation"]`` (``{"question", "briefing", "group_size", "agree_side"}``) shapes a
deliberation. This module is the one place the web side checks them, so the builder and the API
give the same errors as the run would.
"""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from simulations.models import Scenario
from simulations.runs.deliberation_settings import deliberation_from_settings
from simulations.runs.stance_readings import StancePollError, poll_settings

POLLS_KEY = "stance_polls"
DELIBERATION_KEY = "deliberation"
SIDE_CHOICES = (
    ("left", "Left-leaning people tend to agree"),
    ("right", "Right-leaning people tend to agree"),
)


def stance_errors(format: str, stance_polls: Any, deliberation: Any, steps: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        poll_settings({POLLS_KEY: stance_polls})
    except StancePollError as problem:
        errors[POLLS_KEY] = [str(problem)]
    if format == Scenario.Format.DELIBERATION:
        try:
            config = deliberation_from_settings({DELIBERATION_KEY: deliberation}, steps)
            if not config.question.strip():
                errors[DELIBERATION_KEY] = ["A deliberation needs the question its members are polled on."]
        except ValueError as problem:
            errors[DELIBERATION_KEY] = [str(problem)]
        if steps < 3:
            errors["steps"] = [
                "A deliberation needs at least 3 steps: a poll, a round of discussion, a re-poll."
            ]
    return errors


def stance_settings(format: str, stance_polls: Any, deliberation: Any) -> dict[str, Any]:
    """The settings to store (already validated by ``stance_errors``); a deliberation polls itself."""
    out: dict[str, Any] = {}
    if stance_polls and format != Scenario.Format.DELIBERATION:
        out[POLLS_KEY] = dict(stance_polls)
    if format == Scenario.Format.DELIBERATION and deliberation:
        out[DELIBERATION_KEY] = dict(deliberation)
    return out


class StanceFields(forms.Form):
    """Builder fields: the question (every format), how often to poll, and a deliberation's briefing."""

    stance_question = forms.CharField(
        required=False, max_length=300,
        help_text="Political research: the question each persona answers on a -3..+3 scale (start, every k "
        "steps, end). A deliberation needs it.",
    )  # fmt: skip
    stance_every = forms.IntegerField(
        required=False, min_value=1, max_value=500, initial=5, help_text="Poll every this many steps."
    )
    stance_agree_side = forms.ChoiceField(
        required=False, choices=SIDE_CHOICES, initial="left",
        help_text="Where the rule policy starts a persona (its politics); a model reads only the question.",
    )  # fmt: skip
    deliberation_briefing = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Deliberation only: the balanced briefing the moderator gives each group.",
    )  # fmt: skip
    deliberation_group_size = forms.IntegerField(
        required=False,
        min_value=2,
        max_value=20,
        initial=5,
        help_text="Deliberation only: members per group.",
    )

    def stance_kwargs(self) -> dict[str, Any]:
        """``stance_polls`` and ``deliberation`` for ``scenario_create`` from the cleaned data."""
        data = self.cleaned_data
        question = (data.get("stance_question") or "").strip()
        side = data.get("stance_agree_side") or "left"
        if data.get("format") == Scenario.Format.DELIBERATION:
            deliberation = {
                "question": question, "briefing": (data.get("deliberation_briefing") or "").strip(),
                "group_size": data.get("deliberation_group_size") or 5, "agree_side": side,
            }  # fmt: skip
            return {"stance_polls": None, "deliberation": deliberation}
        polls = {"question": question, "every": data.get("stance_every") or 5, "agree_side": side}
        return {"stance_polls": polls if question else None, "deliberation": None}


class SettingsObjectField(serializers.JSONField):
    """A JSON object read from ``Scenario.settings[key]`` (written through ``scenario_create``)."""

    def __init__(self, key: str, **kwargs: Any) -> None:
        self.key = key
        super().__init__(**kwargs)

    def get_attribute(self, instance: Scenario) -> Any:
        return (instance.settings or {}).get(self.key)


def stance_polls_field() -> SettingsObjectField:
    return SettingsObjectField(
        POLLS_KEY, required=False, allow_null=True, default=None,
        help_text='Feed and forum: {"question": "...", "every": k, "agree_side": "left"|"right"}: each '
        "persona's stance (-3..+3) is read at the start, every k steps and at the end (POST "
        "/api/v1/runs/{id}/stance/poll/).",
    )  # fmt: skip


def deliberation_field() -> SettingsObjectField:
    return SettingsObjectField(
        DELIBERATION_KEY, required=False, allow_null=True, default=None,
        help_text='Deliberation only: {"question", "briefing", "group_size", "agree_side"}. Step 0 polls, '
        "the middle steps are rounds of small-group discussion, the last step re-polls.",
    )  # fmt: skip
