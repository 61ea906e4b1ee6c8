"""Roles and what each may do. One ordered scale: a higher role can do all a lower one can."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def rank(role: str) -> int:
    return _RANK[Role(role)]


def at_least(role: str, minimum: str) -> bool:
    return rank(role) >= rank(minimum)


# What a capability needs; views and API permissions ask by capability, not by role name.
READ = Role.VIEWER
WRITE = Role.MEMBER  # build panels, import, start/pause runs
MANAGE = Role.ADMIN  # members, invitations, tokens, providers, settings, audit log
