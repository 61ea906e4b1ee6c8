"""Input shapes for the panel and persona pages.

Forms check shape only; the rules (roles, quotas that cannot be met, unknown organizations)
live in ``services``/``synthetic`` and come back as ``ApplicationError``, which views attach to
the form with ``simnet.web.submit_form``.
"""

from __future__ import annotations

from django import forms

from personas.builders.boards import BoardMember
from personas.builders.population_data import DEFAULT_SOURCE, SOURCE_TITLES, available_sources, load_source
from personas.builders.sampling import source_fields, source_marginals
from personas.models import Persona
from personas.services.panels import persona_values
from personas.services.synthetic import DEFAULT_AVG_FOLLOWING, DEFAULT_HOMOPHILY, MAX_POPULATION

QUOTA_PREFIX = "quota"


class PanelForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Handle, name or bio"}),
    )
    origin = forms.ChoiceField(required=False, choices=[("", "Any origin"), *Persona.Origin.choices])
    trait = forms.CharField(required=False, widget=forms.HiddenInput)
    value = forms.CharField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "search": data.get("q", ""),
            "origin": data.get("origin", ""),
            "trait": data.get("trait", ""),
            "value": data.get("value", ""),
        }


class PopulationForm(forms.Form):
    """Size, seed, source and graph settings; plus one optional percentage per category of each
    quota field (``quota__<field>__<n>``), built for the chosen source."""

    name = forms.CharField(max_length=120, required=False, help_text="Leave empty for a descriptive name.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.ChoiceField(choices=[], initial=DEFAULT_SOURCE)
    n = forms.IntegerField(label="Personas", min_value=1, max_value=MAX_POPULATION, initial=200)
    seed = forms.IntegerField(initial=7, help_text="The same seed and settings give the same panel.")
    avg_following = forms.FloatField(
        label="Average accounts followed", min_value=0, initial=DEFAULT_AVG_FOLLOWING
    )
    homophily = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=DEFAULT_HOMOPHILY,
        help_text="0: follows ignore traits; 1: people follow only people like them.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        sources = available_sources()
        self.fields["source"].choices = [(s, SOURCE_TITLES[s]) for s in sources]
        chosen = (self.data.get("source") if self.is_bound else self.initial.get("source")) or DEFAULT_SOURCE
        self.source_name = chosen if chosen in sources else sources[0]
        self.balance_fields = load_source(self.source_name).balance_fields  # what "no quota" mirrors
        self.quota_groups: list[tuple[str, list[str]]] = []
        for field, categories in source_fields(self.source_name).items():
            names = []
            for index, category in enumerate(categories):
                name = f"{QUOTA_PREFIX}__{field}__{index}"
                self.fields[name] = forms.FloatField(
                    label=category,
                    required=False,
                    min_value=0,
                    max_value=100,
                    widget=forms.NumberInput(attrs={"step": "0.1", "placeholder": "%"}),
                )
                names.append(name)
            self.quota_groups.append((field, names))

    def quota_fieldsets(self):
        """``(field, [(bound field, the source's share of that category)])`` for the template."""
        fieldsets = []
        for field, names in self.quota_groups:
            shares = source_marginals(self.source_name, field)
            fieldsets.append(
                (field, [(self[name], shares.get(self.fields[name].label, 0.0)) for name in names])
            )
        return fieldsets

    def quotas(self) -> dict[str, dict[str, float]]:
        fields = source_fields(self.source_name)
        quotas: dict[str, dict[str, float]] = {}
        for field, names in self.quota_groups:
            for name in names:
                value = self.cleaned_data.get(name)
                if value is not None:
                    category = fields[field][int(name.rsplit("__", 1)[1])]
                    quotas.setdefault(field, {})[category] = value
        return quotas


def _items(text: str) -> tuple[str, ...]:
    separator = ";" if ";" in text else ","
    return tuple(item.strip() for item in text.split(separator) if item.strip())


class BoardForm(forms.Form):
    MODES = (
        ("default", "Use the ready seven-person board"),
        ("bios", "Paste bios"),
        ("form", "Fill in the members below"),
    )

    name = forms.CharField(max_length=120, initial="Virtual board")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    mode = forms.ChoiceField(choices=MODES, initial="default", widget=forms.RadioSelect)
    bios = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "placeholder": "Margaret Chen — Chair and CEO\nFounded the company …\n"
                "Priorities: growth; focus\nObjections: distractions\nStyle: brisk\n\nDavid …",
            }
        ),
        help_text='One block per member, separated by a blank line. First line "Name — Role"; then optional '
        "lines Priorities:, Objections:, Style:, Chair: yes; other lines are background.",
    )


class BoardMemberForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    role = forms.CharField(max_length=120, required=False)
    background = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    priorities = forms.CharField(required=False, help_text="Separated by ; or ,")
    objections = forms.CharField(required=False, help_text="Separated by ; or ,")
    speaking_style = forms.CharField(required=False)
    is_chair = forms.BooleanField(required=False, label="Chairs the meeting")

    def clean(self):
        data = super().clean()
        if data.get("name") and not data.get("role"):
            self.add_error("role", "Give this member a role.")
        return data

    def member(self) -> BoardMember | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return BoardMember(
            name=data["name"].strip(),
            role=data["role"].strip(),
            background=data["background"].strip(),
            priorities=_items(data["priorities"]),
            objections=_items(data["objections"]),
            speaking_style=data["speaking_style"].strip(),
            is_chair=data["is_chair"],
        )


BoardMemberFormSet = forms.formset_factory(BoardMemberForm, extra=7, max_num=25)


class ShareForm(forms.Form):
    organization = forms.SlugField(
        label="Organization slug",
        max_length=140,
        help_text="Ask an owner of the other organization for its slug.",
    )


class CopyForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)


def parse_trait_lines(text: str) -> dict[str, str]:
    """``key: value`` per line to a dict (blank lines skipped)."""
    traits = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {number} is not 'name: value'.")
        traits[key.strip().lower().replace(" ", "_")[:40]] = value.strip()
    return traits


class PersonaForm(forms.Form):
    handle = forms.CharField(max_length=128)
    display_name = forms.CharField(max_length=200, required=False)
    bio = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a hand-written persona also the voice: how they write.",
    )
    interests = forms.CharField(required=False, help_text="Comma-separated.")
    activity_rate = forms.FloatField(
        min_value=0, max_value=1, initial=0.3, help_text="Chance to be online in a step (0 to 1)."
    )
    traits = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "age: 34\nparty: Independent"}),
        help_text="One 'name: value' per line.",
    )
    role_on_panel = forms.CharField(label="Role on this panel", max_length=120, required=False)
    is_chair = forms.BooleanField(required=False, label="Chairs the meeting")
    priorities = forms.CharField(required=False, help_text="Board members: separated by ;")
    objections = forms.CharField(required=False, help_text="Board members: separated by ;")
    speaking_style = forms.CharField(required=False)

    def clean_traits(self) -> dict[str, str]:
        return parse_trait_lines(self.cleaned_data["traits"])

    def service_fields(self, *, board: bool) -> dict:
        data = self.cleaned_data
        traits: dict = dict(data["traits"])
        if board:
            traits.update(
                priorities=list(_items(data["priorities"])),
                objections=list(_items(data["objections"])),
                speaking_style=data["speaking_style"].strip(),
            )
        return {
            "handle": data["handle"],
            "display_name": data["display_name"],
            "bio": data["bio"],
            "interests": data["interests"],
            "activity_rate": data["activity_rate"],
            "traits": traits,
            "role_on_panel": data["role_on_panel"],
            "is_chair": data["is_chair"],
        }

    @classmethod
    def initial_for(cls, persona: Persona, role_on_panel: str, is_chair: bool) -> dict:
        plain = {
            k: v
            for k, v in persona.traits.items()
            if k not in ("priorities", "objections", "speaking_style", "role")
            and not isinstance(v, (list, dict))
        }
        return {
            **persona_values(persona),
            "traits": "\n".join(f"{k}: {v}" for k, v in plain.items()),
            "role_on_panel": role_on_panel,
            "is_chair": is_chair,
            "priorities": "; ".join(persona.traits.get("priorities", [])),
            "objections": "; ".join(persona.traits.get("objections", [])),
            "speaking_style": persona.traits.get("speaking_style", ""),
        }
