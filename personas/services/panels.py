"""Writes on panels and personas: create, edit, delete, copy, share. Keyword-only and atomic.

Every service is handed the object the caller may touch (views fetch it with
``selectors.panel_owned``, so a shared panel is a 404 on every edit path) and the ``actor``
(see ``simnet.tenancy.actors``), and re-checks both the organization and the actor's role, so a
mistake in one view cannot edit another organization's panel.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError

from personas.builders.boards import BoardMember, board_card
from personas.builders.cards import build_synthetic_card
from personas.models import (
    FollowEdge,
    HistoryItem,
    Panel,
    PanelMember,
    PanelShare,
    Persona,
    SourceAccount,
    SourceFollow,
)
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user, audit_actor
from simnet.tenancy.audit import Actions, record
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.models import Organization

EDITABLE_ORIGINS = (Persona.Origin.MANUAL, Persona.Origin.BOARD)
HAND_MADE_KINDS = (Panel.Kind.CUSTOM, Panel.Kind.BOARD)


def _require_owner(panel: Panel, organization) -> None:
    if panel.organization_id != organization.pk:
        raise ApplicationError("That panel does not exist.", code="not_found", status=404)


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the panel a name.", fields={field: ["This field is required."]})
    if len(name) > 120:
        raise ApplicationError("The name is too long.", fields={field: ["Use at most 120 characters."]})
    return name


# --- panels ------------------------------------------------------------------------------------


@transaction.atomic
def panel_create(
    *,
    organization,
    actor: Actor | None,
    name: str,
    description: str = "",
    kind: str = Panel.Kind.CUSTOM,
    settings: dict | None = None,
) -> Panel:
    require_role(actor_role(organization, actor), roles.WRITE, "create panels")
    if kind not in Panel.Kind.values:
        raise ApplicationError(f"Unknown panel kind {kind!r}.", fields={"kind": ["Choose a valid kind."]})
    return Panel.objects.create(
        organization=organization,
        name=_clean_name(name),
        description=(description or "").strip(),
        kind=kind,
        created_by=actor_user(actor),
        settings=settings or {},
    )


@transaction.atomic
def panel_update(
    *,
    panel: Panel,
    organization,
    actor: Actor | None,
    name: str | None = None,
    description: str | None = None,
) -> Panel:
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "edit panels")
    if name is not None:
        panel.name = _clean_name(name)
    if description is not None:
        panel.description = description.strip()
    panel.save(update_fields=["name", "description"])
    return panel


@transaction.atomic
def panel_delete(*, panel: Panel, organization, actor: Actor | None) -> None:
    """Delete the panel and the personas that belong to no other panel (imported source data stays)."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "delete panels")
    persona_ids = list(panel.memberships.values_list("persona_id", flat=True))
    try:
        panel.delete()
    except ProtectedError as exc:
        count = len(exc.protected_objects)
        raise ApplicationError(
            f"This panel is used by {count} simulation scenario{'s' if count != 1 else ''}; "
            "delete those first, or copy the panel and edit the copy.",
            code="panel_in_use",
            status=409,
        ) from None
    Persona.objects.for_org(organization).filter(pk__in=persona_ids, panel_memberships__isnull=True).delete()


def _copy_source_account(account: SourceAccount, organization) -> SourceAccount:
    """The same outside account in ``organization`` with its history and follows (added, never duplicated)."""
    if account.organization_id == organization.pk:
        return account
    fields = {
        f.name: getattr(account, f.name)
        for f in SourceAccount._meta.concrete_fields
        if f.name not in ("id", "organization", "platform", "platform_id")
    }
    copy, _ = SourceAccount.objects.get_or_create(
        organization=organization, platform=account.platform, platform_id=account.platform_id, defaults=fields
    )
    skip = {"id", "organization", "account"}
    HistoryItem.objects.bulk_create(
        [
            HistoryItem(
                organization=organization,
                account=copy,
                **{
                    f.attname: getattr(item, f.attname)
                    for f in HistoryItem._meta.concrete_fields
                    if f.name not in skip
                },
            )
            for item in HistoryItem.objects.filter(account=account)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    SourceFollow.objects.bulk_create(
        [
            SourceFollow(
                organization=organization,
                account=copy,
                direction=f.direction,
                handle=f.handle,
                platform_id=f.platform_id,
            )
            for f in SourceFollow.objects.filter(account=account)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    return copy


@transaction.atomic
def panel_copy(*, panel: Panel, organization, actor: Actor | None, name: str = "") -> Panel:
    """A deep copy (personas, roles, follow edges, and imported history) owned by ``organization``.

    Works for the organization's own panels and for panels shared with it.
    """
    require_role(actor_role(organization, actor), roles.WRITE, "copy panels")
    if not Panel.objects.visible_to(organization).filter(pk=panel.pk).exists():
        raise ApplicationError("That panel does not exist.", code="not_found", status=404)
    copy = Panel.objects.create(
        organization=organization,
        name=_clean_name(name or f"Copy of {panel.name}"[:120]),
        description=panel.description,
        kind=panel.kind,
        created_by=actor_user(actor),
        settings=dict(panel.settings),
    )
    accounts: dict[int, SourceAccount] = {}
    new_ids: dict[int, int] = {}
    persona_fields = [
        f for f in Persona._meta.concrete_fields if f.name not in ("id", "organization", "source_account")
    ]
    for member in panel.memberships.select_related("persona__source_account").order_by("pk"):
        original = member.persona
        source = original.source_account
        if source is not None and source.pk not in accounts:
            accounts[source.pk] = _copy_source_account(source, organization)
        persona = Persona.objects.create(
            organization=organization,
            source_account=accounts[source.pk] if source is not None else None,
            **{f.attname: getattr(original, f.attname) for f in persona_fields},
        )
        new_ids[original.pk] = persona.pk
        PanelMember.objects.create(
            organization=organization, panel=copy, persona=persona, role=member.role, is_chair=member.is_chair
        )
    FollowEdge.objects.bulk_create(
        [
            FollowEdge(organization=organization, panel=copy, follower_id=new_ids[a], followee_id=new_ids[b])
            for a, b in FollowEdge.objects.filter(panel=panel).values_list("follower_id", "followee_id")
            if a in new_ids and b in new_ids
        ],
        batch_size=1000,
    )
    return copy


def _target_organization(*, organization_slug: str | None, organization_id: int | None) -> Organization:
    lookup = {"slug": organization_slug.strip()} if organization_slug else {"pk": organization_id}
    target = Organization.objects.filter(**lookup).first() if (organization_slug or organization_id) else None
    if target is None:
        raise ApplicationError(
            "No organization has that identifier; ask its owner for the exact slug.",
            code="organization_not_found",
            fields={"organization": ["Unknown organization."]},
        )
    return target


@transaction.atomic
def panel_share(
    *,
    panel: Panel,
    organization,
    actor: Actor | None,
    ip: str | None = None,
    organization_slug: str | None = None,
    organization_id: int | None = None,
) -> PanelShare:
    """Let another organization run and copy the panel (read-only). Admins and owners only; audited."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.MANAGE, "share panels")
    target = _target_organization(organization_slug=organization_slug, organization_id=organization_id)
    if target.pk == organization.pk:
        raise ApplicationError(
            "The panel already belongs to this organization.",
            fields={"organization": ["Choose another organization."]},
        )
    share, created = PanelShare.objects.get_or_create(
        organization=organization, panel=panel, shared_with=target, defaults={"created_by": actor_user(actor)}
    )
    if created:
        record(
            organization=organization,
            action=Actions.PANEL_SHARED,
            **audit_actor(actor),
            target=panel,
            detail={"shared_with": target.slug},
            ip=ip,
        )
    return share


@transaction.atomic
def panel_unshare(
    *,
    panel: Panel,
    organization,
    actor: Actor | None,
    ip: str | None = None,
    organization_slug: str | None = None,
    organization_id: int | None = None,
) -> None:
    """Stop sharing; the other organization's copies stay theirs. Admins and owners only; audited."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.MANAGE, "stop sharing panels")
    target = _target_organization(organization_slug=organization_slug, organization_id=organization_id)
    deleted, _ = PanelShare.objects.filter(panel=panel, shared_with=target).delete()
    if not deleted:
        raise ApplicationError(
            "The panel is not shared with that organization.", code="not_shared", status=404
        )
    record(
        organization=organization,
        action=Actions.PANEL_UNSHARED,
        **audit_actor(actor),
        target=panel,
        detail={"shared_with": target.slug},
        ip=ip,
    )


# --- personas on hand-made panels ------------------------------------------------------------------


def _manual_card(persona: Persona) -> None:
    traits = {**persona.traits, "interests": persona.interests}
    card = build_synthetic_card(traits, persona.bio, name=persona.display_name, handle=persona.handle)
    persona.set_card(card.text, card.tokens)


def _board_card(persona: Persona, role_on_panel: str, is_chair: bool) -> None:
    traits = persona.traits
    member = BoardMember(
        name=persona.display_name or persona.handle,
        role=role_on_panel or str(traits.get("role", "")),
        background=persona.bio,
        priorities=tuple(traits.get("priorities", ())),
        objections=tuple(traits.get("objections", ())),
        speaking_style=str(traits.get("speaking_style", "")),
        is_chair=is_chair,
    )
    card = board_card(member)
    persona.set_card(card.text, card.tokens)


def _clean_persona_fields(fields: dict) -> dict:
    handle = str(fields.get("handle", "")).strip().lstrip("@")
    if not handle:
        raise ApplicationError("Give the persona a handle.", fields={"handle": ["This field is required."]})
    rate = fields.get("activity_rate", 0.3)
    if not 0 <= float(rate) <= 1:
        raise ApplicationError(
            "The activity rate is a chance between 0 and 1.",
            fields={"activity_rate": ["Use a number between 0 and 1."]},
        )
    traits = fields.get("traits") or {}
    if not isinstance(traits, dict):
        raise ApplicationError(
            "Traits must be named values.", fields={"traits": ["Use one 'name: value' per line."]}
        )
    return {
        "handle": handle[:128],
        "display_name": str(fields.get("display_name", "")).strip()[:200],
        "bio": str(fields.get("bio", "")).strip(),
        "interests": str(fields.get("interests", "")).strip(),
        "activity_rate": float(rate),
        "traits": traits,
    }


def _set_chair(panel: Panel, member: PanelMember, is_chair: bool) -> None:
    if is_chair:
        panel.memberships.exclude(pk=member.pk).filter(is_chair=True).update(is_chair=False)
    member.is_chair = is_chair


@transaction.atomic
def persona_create(
    *,
    panel: Panel,
    organization,
    actor: Actor | None,
    role_on_panel: str = "",
    is_chair: bool = False,
    **fields,
) -> Persona:
    """A persona written by hand on a custom or board panel (``fields``: handle, display_name, bio,
    interests, activity_rate, traits)."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "add personas")
    if panel.kind not in HAND_MADE_KINDS:
        raise ApplicationError(
            "Personas are added by hand only to custom and board panels; this panel is "
            f"{panel.get_kind_display().lower()}. Create a custom panel for hand-written personas."
        )
    values = _clean_persona_fields(fields)
    origin = Persona.Origin.BOARD if panel.kind == Panel.Kind.BOARD else Persona.Origin.MANUAL
    persona = Persona(organization=organization, origin=origin, **values)
    if origin == Persona.Origin.BOARD:
        persona.traits = {**values["traits"], "role": role_on_panel}
        _board_card(persona, role_on_panel, is_chair)
    else:
        _manual_card(persona)
    persona.save()
    member = PanelMember(
        organization=organization, panel=panel, persona=persona, role=role_on_panel.strip()[:120]
    )
    _set_chair(panel, member, is_chair)
    member.save()
    return persona


@transaction.atomic
def persona_update(
    *,
    panel: Panel,
    persona: Persona,
    organization,
    actor: Actor | None,
    role_on_panel: str | None = None,
    is_chair: bool | None = None,
    **fields,
) -> Persona:
    """Edit a hand-written or board persona; its card is rebuilt. Imported and sampled personas
    are derived from data, so only their place on the panel can change (remove them instead)."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "edit personas")
    member = panel.memberships.filter(persona=persona).first()
    if member is None:
        raise ApplicationError("That persona is not on this panel.", code="not_found", status=404)
    if persona.origin not in EDITABLE_ORIGINS:
        raise ApplicationError(
            f"This persona was {persona.get_origin_display().lower()}; its traits come from that data and "
            "cannot be edited by hand."
        )
    values = _clean_persona_fields({**persona_values(persona), **fields})
    for name, value in values.items():
        setattr(persona, name, value)
    if role_on_panel is not None:
        member.role = role_on_panel.strip()[:120]
    if is_chair is not None:
        _set_chair(panel, member, is_chair)
    if persona.origin == Persona.Origin.BOARD:
        persona.traits = {**persona.traits, "role": member.role}
        _board_card(persona, member.role, member.is_chair)
    else:
        _manual_card(persona)
    persona.save()
    member.save(update_fields=["role", "is_chair"])
    return persona


def persona_values(persona: Persona) -> dict:
    """The hand-editable fields of a persona, as ``persona_create``/``persona_update`` take them."""
    return {
        "handle": persona.handle,
        "display_name": persona.display_name,
        "bio": persona.bio,
        "interests": persona.interests,
        "activity_rate": persona.activity_rate,
        "traits": persona.traits,
    }


@transaction.atomic
def persona_remove(*, panel: Panel, persona: Persona, organization, actor: Actor | None) -> None:
    """Take the persona off the panel (with its follow edges); a persona on no panel any more is deleted."""
    _require_owner(panel, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "remove personas")
    deleted, _ = panel.memberships.filter(persona=persona).delete()
    if not deleted:
        raise ApplicationError("That persona is not on this panel.", code="not_found", status=404)
    FollowEdge.objects.filter(panel=panel).filter(follower=persona).delete()
    FollowEdge.objects.filter(panel=panel).filter(followee=persona).delete()
    if not PanelMember.objects.filter(persona=persona).exists():
        persona.delete()
