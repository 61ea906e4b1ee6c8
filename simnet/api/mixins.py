"""DRF view behaviour every organization-scoped API shares."""

from __future__ import annotations


class NotFoundBeforeMethodNotAllowedMixin:
    # On an object URL, look the object up before answering 405.
    #
    # Otherwise ``POST /things/<another organization's id>/`` would answer 405 where ``GET``
    # answers 404, and the difference tells the caller the id exists somewhere. Same rule as
    # the HTML views: the lookup comes first, then the method check.
    # (A comment, not a docstring: drf-spectacular would publish a mixin's docstring as the
    # description of every operation of the views that use it.)

    def http_method_not_allowed(self, request, *args, **kwargs):
        if (self.lookup_url_kwarg or self.lookup_field) in kwargs:
            self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)
