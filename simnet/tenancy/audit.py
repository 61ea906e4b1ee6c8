"""Writing the audit log. Call ``record`` from services, inside their transaction."""

from __future__ import annotations

from typing import Any

from simnet.tenancy.models import AuditEvent


class Actions:
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SIGN_OUT = "auth.sign_out"
    ORG_CREATED = "org.created"
    ORG_UPDATED = "org.updated"
    MEMBER_INVITED = "member.invited"
    INVITE_REVOKED = "member.invite_revoked"
    MEMBER_JOINED = "member.joined"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_LEFT = "member.left"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    PANEL_SHARED = "panel.shared"
    PANEL_UNSHARED = "panel.unshared"
    RUN_STARTED = "run.started"
    RUN_CANCELLED = "run.cancelled"
    PROVIDER_CONFIGURED = "provider.configured"
    PROVIDER_DELETED = "provider.deleted"
    IMPORT_STARTED = "import.started"


def record(
    *,
    organization,
    action: str,
    actor=None,
    token=None,
    target=None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    label = ""
    if actor is not None:
        label = actor.email
    elif token is not None:
        label = f"API token {token.name} ({token.prefix}…)"
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.pk else None,
        actor_token=token,
        actor_label=label,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "") if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        detail=detail or {},
        ip=ip,
    )


def client_ip(request) -> str | None:
    """The caller's address (REMOTE_ADDR; a proxy in front must set it correctly)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None
