"""factory_boy factories shared by every test folder (import them inside tests or fixtures).

Secrets: ``InvitationFactory`` and ``ApiTokenFactory`` store only the hash, like the real
services, and leave the raw secret on the created object as ``obj.raw_token``.
Passwords: every ``UserFactory`` user has ``DEFAULT_PASSWORD`` (hashed once per process,
because the production hasher is deliberately slow).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory.django import DjangoModelFactory

from personas.models import Panel
from simnet.tenancy.api_auth import TOKEN_PREFIX
from simnet.tenancy.models import ApiToken, AuditEvent, Invitation, Membership, Organization, User
from simnet.tenancy.roles import Role
from simnet.tenancy.secrets import hash_token, new_token
from simulations.models import Backtest, Experiment, Run, RunAction, RunPost, Scenario

DEFAULT_PASSWORD = "correct-horse-battery-staple"


@lru_cache(maxsize=1)
def default_password_hash() -> str:
    return make_password(DEFAULT_PASSWORD)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(default_password_hash)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class _WithRawToken(DjangoModelFactory):
    """Generates ``raw_token``, stores its hash, and hands the raw value back on the object."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, raw_token: str, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        obj.raw_token = raw_token
        return obj

    @classmethod
    def _build(cls, model_class, *args, raw_token: str, **kwargs):
        obj = super()._build(model_class, *args, **kwargs)
        obj.raw_token = raw_token
        return obj


class InvitationFactory(_WithRawToken):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    invited_by = None
    raw_token = factory.LazyFunction(lambda: new_token("inv")[0])
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.raw_token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))


class ApiTokenFactory(_WithRawToken):
    class Meta:
        model = ApiToken

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    role = Role.MEMBER
    created_by = None
    raw_token = factory.LazyFunction(lambda: new_token(TOKEN_PREFIX)[0])
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.raw_token))
    prefix = factory.LazyAttribute(lambda o: o.raw_token[:12])


class AuditEventFactory(DjangoModelFactory):
    class Meta:
        model = AuditEvent

    organization = factory.SubFactory(OrganizationFactory)
    action = "org.updated"
    actor = None
    actor_label = factory.LazyAttribute(lambda o: o.actor.email if o.actor else "")


# --- Simulations (runs, their rows, experiments, backtests) -----------------------------------------
class ScenarioFactory(DjangoModelFactory):
    """A scenario on a fresh empty panel of the same organization (pass ``panel`` to choose one)."""

    class Meta:
        model = Scenario

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Scenario {n}")
    panel = factory.LazyAttribute(
        lambda o: Panel.objects.create(organization=o.organization, name=f"Panel of {o.name}")
    )
    steps = 5


class RunFactory(DjangoModelFactory):
    class Meta:
        model = Run

    organization = factory.LazyAttribute(lambda o: o.scenario.organization)
    scenario = factory.SubFactory(ScenarioFactory)
    seed = factory.Sequence(lambda n: n + 1)
    status = "completed"
    total_steps = 5
    next_step = 5


class RunPostFactory(DjangoModelFactory):
    class Meta:
        model = RunPost

    organization = factory.LazyAttribute(lambda o: o.run.organization)
    run = factory.SubFactory(RunFactory)
    post_key = factory.Sequence(lambda n: f"p{n}")
    step = 0
    author_key = "brand"
    author_handle = "brand"
    kind = "post"


class RunActionFactory(DjangoModelFactory):
    class Meta:
        model = RunAction

    organization = factory.LazyAttribute(lambda o: o.run.organization)
    run = factory.SubFactory(RunFactory)
    step = 0
    agent_key = factory.Sequence(str)
    action = "ignore"


class ExperimentFactory(DjangoModelFactory):
    class Meta:
        model = Experiment

    organization = factory.LazyAttribute(lambda o: o.scenario.organization)
    scenario = factory.SubFactory(ScenarioFactory)
    name = factory.Sequence(lambda n: f"Experiment {n}")
    variants = factory.LazyFunction(
        lambda: [{"label": "A", "stimulus_text": "Ad A"}, {"label": "B", "stimulus_text": "Ad B"}]
    )
    replicates = 10


class BacktestFactory(DjangoModelFactory):
    """A finished-looking backtest row (no scores): for lists, isolation and permission tests."""

    class Meta:
        model = Backtest

    organization = factory.SubFactory(OrganizationFactory)
    panel = factory.LazyAttribute(
        lambda o: Panel.objects.create(organization=o.organization, name="Backtest panel")
    )
    provider_kind = "baseline"
    status = "queued"


# --- Personas, panels and imports (personas/, scraping/) --------------------------------------------
class PanelFactory(DjangoModelFactory):
    class Meta:
        model = Panel

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Panel {n}")
    kind = Panel.Kind.CUSTOM


class PersonaFactory(DjangoModelFactory):
    class Meta:
        model = "personas.Persona"

    organization = factory.SubFactory(OrganizationFactory)
    handle = factory.Sequence(lambda n: f"persona{n}")
    display_name = factory.Sequence(lambda n: f"Persona {n}")
    origin = "manual"
    card = factory.LazyAttribute(lambda o: f"You are @{o.handle}.")
    card_tokens = 6


class PanelMemberFactory(DjangoModelFactory):
    """A persona on a panel, both in the panel's organization."""

    class Meta:
        model = "personas.PanelMember"

    panel = factory.SubFactory(PanelFactory)
    organization = factory.LazyAttribute(lambda o: o.panel.organization)
    persona = factory.LazyAttribute(lambda o: PersonaFactory(organization=o.panel.organization))


class SourceAccountFactory(DjangoModelFactory):
    class Meta:
        model = "personas.SourceAccount"

    organization = factory.SubFactory(OrganizationFactory)
    platform = "csv"
    platform_id = factory.Sequence(lambda n: f"account-{n}")
    handle = factory.LazyAttribute(lambda o: o.platform_id)


class HistoryItemFactory(DjangoModelFactory):
    class Meta:
        model = "personas.HistoryItem"

    account = factory.SubFactory(SourceAccountFactory)
    organization = factory.LazyAttribute(lambda o: o.account.organization)
    platform_id = factory.Sequence(lambda n: f"item-{n}")
    kind = "post"
    text = factory.Sequence(lambda n: f"Post number {n}")


class ImportJobFactory(DjangoModelFactory):
    """A queued Bluesky import job (no credential, no file)."""

    class Meta:
        model = "scraping.ImportJob"

    organization = factory.SubFactory(OrganizationFactory)
    connector = "bluesky"
    params = factory.LazyFunction(lambda: {"account": "alice.bsky.social", "holdout_percent": 20, "card_budget": 500})
    new_panel_name = ""
