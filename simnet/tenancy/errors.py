"""One error type for business rules; the API and the UI render it the same way."""

from __future__ import annotations


class ApplicationError(Exception):
    """A rule the user broke, with a message they can act on and a machine-readable code."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", fields: dict[str, list[str]] | None = None, status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        if status is not None:
            self.status = status


class PermissionDeniedError(ApplicationError):
    status = 403

    def __init__(self, message: str = "Your role does not allow this.", **kwargs):
        kwargs.setdefault("code", "permission_denied")
        super().__init__(message, **kwargs)
