"""Create the demo organization, user, panels and ready-to-run scenarios (idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from personas.builders.public_texts import PublicDataMissing
from personas.models import Panel, Persona
from personas.services.demo import ensure_demo_history, ensure_demo_panels
from simnet.tenancy.models import Membership, User
from simnet.tenancy.services import user_signup
from simulations.briefs.demo import ensure_demo_brief
from simulations.models import Scenario
from simulations.scenarios.picture_demo import ensure_demo_picture_post
from simulations.scenarios.safety_demo import ensure_demo_safety
from simulations.scenarios.services import scenario_create
from simulations.scenarios.stance_demo import ensure_demo_deliberation

DEMO_EMAIL = "demo@simnet.localhost"
DEMO_PASSWORD = "simnet-demo-2026"
DEMO_ORG = "Demo Co"

HOLIDAY_AD = (
    "This holiday, give the gift that changes everything. A year later, she'll thank you. "
    "#PelotonHoliday"
)
THREAD_SCENARIO = "Community thread (demo)"
THREAD_POST = "#fitness workout: we are launching a 30-day home training plan. Who is in, and what would make you quit?"
BOARD_AGENDA = [
    "Approve the launch of the holiday ad campaign (budget $2M)",
    "Should we cut the product price by 15% for the holidays?",
]


class Command(BaseCommand):
    help = "Create the demo organization, user, panels and scenarios; prints how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for the demo user")

    def handle(self, *args, password: str, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates a known login; it refuses to run with SIMNET_PRODUCTION=1.")
        with transaction.atomic():
            user = User.objects.filter(email=DEMO_EMAIL).first()
            if user is None:
                user, _ = user_signup(email=DEMO_EMAIL, password=password, name="Demo User", organization_name=DEMO_ORG)
            organization = Membership.objects.filter(user=user).order_by("created_at").first().organization
            ensure_demo_panels(organization=organization, actor=user)
            self._ensure_scenarios(organization, user)
        self._ensure_history(organization, user)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Sign in at {settings.SITE_URL}/login/ as {DEMO_EMAIL} with password {password}")

    def _ensure_scenarios(self, organization, user) -> None:
        existing = set(Scenario.objects.for_org(organization).values_list("name", flat=True))
        demo = Panel.objects.for_org(organization).filter(is_demo=True)
        voters = demo.filter(kind=Panel.Kind.POPULATION).order_by("pk").first()
        board = demo.filter(kind=Panel.Kind.BOARD).order_by("pk").first()
        if voters is None or board is None:
            raise CommandError("The demo panels were not created; see the error above.")
        if "Holiday ad (demo)" not in existing:
            scenario_create(
                organization=organization, actor=user, panel=voters, name="Holiday ad (demo)", steps=6,
                stimuli=[{"text": HOLIDAY_AD, "author_handle": "FitBikeCo", "boost": 0.6, "step": 0}],
            )
        if "Board review (demo)" not in existing:
            scenario_create(
                organization=organization, actor=user, panel=board, name="Board review (demo)",
                format=Scenario.Format.ROUNDTABLE, steps=12, agenda=BOARD_AGENDA,
            )
        ensure_demo_brief(organization=organization, user=user)
        ensure_demo_deliberation(organization=organization, user=user, panel=voters)
        ensure_demo_safety(organization=organization, user=user, panel=voters)
        ensure_demo_picture_post(organization=organization, user=user, panel=voters)

    def _ensure_history(self, organization, user) -> None:
        """The generated imported panels, and a forum thread scenario on the community (hybrid policy)."""
        try:
            with transaction.atomic():
                panels = ensure_demo_history(organization=organization, actor=user)
        except PublicDataMissing as missing:
            self.stderr.write(self.style.WARNING(f"Skipped the imported demo panels: {missing}"))
            return
        if Scenario.objects.for_org(organization).filter(name=THREAD_SCENARIO).exists():
            return
        community = panels["community"]
        hub = Persona.objects.for_org(organization).filter(panel_memberships__panel=community, handle="hub_fitness")
        scenario_create(
            organization=organization, actor=user, panel=community, name=THREAD_SCENARIO, steps=6,
            format=Scenario.Format.FORUM, communities=["fitness", "tech", "food"],
            stimuli=[{"text": THREAD_POST, "author_persona": hub.first(), "step": 0}],
        )  # fmt: skip

