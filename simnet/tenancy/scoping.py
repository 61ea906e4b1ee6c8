"""The one tenant-scoping mechanism (fail-closed).

Every customer table inherits ``TenantModel``. Its default manager refuses to read or
write rows unless the query is scoped: filtered by an organization, or by a parent object
that is itself tenant data (``Persona.objects.filter(panel=panel)``, which is how Django's
related managers query). An unscoped read raises ``UnscopedQuery`` instead of leaking
another organization's rows. System code that truly spans tenants (workers, the watchdog,
migrations) says so explicitly with ``Model.unscoped``.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class UnscopedQuery(RuntimeError):
    """A query on tenant data was not scoped to an organization."""


def _names_scope(key: str, value: Any) -> bool:
    if {"organization", "organization_id"} & set(key.split("__")):
        return True
    if isinstance(value, TenantModel):
        return True
    return isinstance(value, models.QuerySet) and getattr(value, "_tenant_scoped", False)


class TenantQuerySet(models.QuerySet):
    _tenant_scoped = False

    def _clone(self):
        clone = super()._clone()
        clone._tenant_scoped = self._tenant_scoped
        return clone

    def _scoped(self) -> TenantQuerySet:
        clone = self._chain()
        clone._tenant_scoped = True
        return clone

    def for_org(self, organization) -> TenantQuerySet:
        """Rows that belong to ``organization`` (the usual way in)."""
        if organization is None:
            raise UnscopedQuery("for_org() needs an organization")
        return self.filter(organization=organization)

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = super()._filter_or_exclude(negate, args, kwargs)
        if not negate and any(_names_scope(k, v) for k, v in kwargs.items()):
            clone._tenant_scoped = True
        return clone

    def _require_scope(self) -> None:
        if not self._tenant_scoped:
            raise UnscopedQuery(
                f"Unscoped query on {self.model.__name__}: filter by organization (for_org) "
                f"or a parent object, or use {self.model.__name__}.unscoped in system code."
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def count(self):
        self._require_scope()
        return super().count()

    def exists(self):
        self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    def delete(self):
        self._require_scope()
        return super().delete()

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of tenant tables; see the module docstring."""


class TenantModel(models.Model):
    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()
    unscoped = models.Manager()

    class Meta:
        abstract = True
