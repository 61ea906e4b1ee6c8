"""``manage.py sample_population`` and ``manage.py build_board``: the panels they make, and their errors."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from personas.models import Panel

pytestmark = pytest.mark.django_db
QUOTAS = {
    "party": {"Democrat": 0.40, "Republican": 0.40, "Independent": 0.20},
    "age_group": {"18-29": 0.25, "30-44": 0.25, "45-64": 0.30, "65+": 0.20},
}
SEVEN_BIOS = """\
Ada Obi — Chair
Ran two hospitals. Chair: yes
Priorities: patient safety; clear decisions

Ben Ross — CFO
Objections: spending without a payback plan
Style: terse, numbers first

Cleo Park — General counsel

Dev Rao — Head of sales
Priorities: quarterly targets

Eve Lind — Independent director

Finn Wu — Head of product
Style: asks for the user evidence

Gia Moretti — Employee representative
"""


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, "--org", "organization-a", *args, stdout=out)
    return out.getvalue()


def shares(panel: Panel, trait: str) -> dict[str, float]:
    values = Counter(panel.memberships.values_list(f"persona__traits__{trait}", flat=True))
    total = sum(values.values())
    return {category: count / total for category, count in values.items()}


def test_a_sampled_population_of_1000_meets_its_quotas_within_two_points(tenancy):
    out = command(
        "sample_population",
        "--n",
        "1000",
        "--seed",
        "11",
        "--name",
        "Voters 1000",
        "--quota",
        "party=dem:40,rep:40,ind:20",
        "--quota",
        "age_group=18:25,30:25,45:30,65:20",
    )

    panel = Panel.objects.for_org(tenancy.org_a).get(name="Voters 1000")
    assert panel.memberships.count() == 1000 and panel.kind == "population"
    for trait, targets in QUOTAS.items():
        got = shares(panel, trait)
        for category, target in targets.items():
            assert abs(got[category] - target) <= 0.02, (trait, category, got[category], target)
    assert panel.settings["quotas"]["party"] == {"Democrat": 40.0, "Republican": 40.0, "Independent": 20.0}
    assert "Largest gap to a quota (or, without quotas, to the source):" in out
    worst = float(out.rsplit(":", 1)[1].strip().rstrip("%"))
    assert worst <= 2.0


def test_the_same_seed_gives_the_same_population(tenancy):
    command("sample_population", "--n", "40", "--seed", "5", "--name", "First")
    command("sample_population", "--n", "40", "--seed", "5", "--name", "Second")

    first, second = (Panel.objects.for_org(tenancy.org_a).get(name=name) for name in ("First", "Second"))

    def people(panel):
        return list(
            panel.memberships.order_by("persona__handle").values_list("persona__handle", "persona__traits")
        )

    def follows(panel):
        return sorted(panel.edges.values_list("follower__handle", "followee__handle"))

    assert people(first) == people(second) and follows(first) == follows(second)


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        ("party", "Write a quota as field=category:percent"),
        ("party=dem:forty", "'dem:forty' in 'party=dem:forty' is not category:percent"),
        ("shoe_size=9:100", "The source has no field 'shoe_size'"),
        ("party=green:100", "'green' matches none of the categories"),
    ],
)
def test_bad_quotas_are_explained_and_nothing_is_made(quota, message, tenancy):
    with pytest.raises(CommandError, match=message):
        command("sample_population", "--n", "10", "--quota", quota)
    assert not Panel.objects.for_org(tenancy.org_a).exists()


def test_the_default_board_has_seven_members_and_one_chair(tenancy):
    out = command("build_board", "--name", "Our board")

    panel = Panel.objects.for_org(tenancy.org_a).get(name="Our board")
    members = panel.memberships.select_related("persona")
    assert members.count() == 7 and members.filter(is_chair=True).count() == 1
    assert all(m.persona.card and m.persona.card_tokens <= 500 for m in members)
    assert out.startswith(f"Board #{panel.pk} “Our board” with 7 members:")
    assert "Margaret Chen — Chair and CEO (chair)" in out


def test_a_board_from_a_file_of_pasted_bios(tenancy, tmp_path):
    bios = tmp_path / "bios.txt"
    bios.write_text(SEVEN_BIOS, encoding="utf-8")

    command("build_board", "--bios", str(bios))

    panel = Panel.objects.for_org(tenancy.org_a).get(kind="board")
    members = {m.persona.display_name: m for m in panel.memberships.select_related("persona")}
    assert len(members) == 7
    assert members["Ada Obi"].is_chair and members["Ben Ross"].role == "CFO"
    assert members["Ben Ross"].persona.traits["objections"] == ["spending without a payback plan"]
    assert members["Ada Obi"].persona.traits["priorities"] == ["patient safety", "clear decisions"]


def test_unreadable_or_wrong_bios_are_explained(tenancy, tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zoë, CFO\n\nAnn, CEO\n".encode("latin-1"))
    broken = tmp_path / "broken.txt"
    broken.write_text("Priorities: growth\n\nAnn — CEO\n", encoding="utf-8")

    with pytest.raises(CommandError, match="Cannot read"):
        command("build_board", "--bios", str(latin1))
    with pytest.raises(CommandError, match="block 1 .*starts with a field"):
        command("build_board", "--bios", str(broken))
    with pytest.raises(CommandError, match="Cannot read"):
        command("build_board", "--bios", str(tmp_path / "missing.txt"))
    assert not Panel.objects.for_org(tenancy.org_a).exists()
