"""What every HTML view shares: which methods it takes, how a service's refusal reaches the
page, and who is acting.

Views look their object up first and check the method second, so another organization's id is
a 404 whatever the method. A service's ``ApplicationError`` becomes a form or message error; a
``PermissionDeniedError`` is left to rise, and the error middleware renders it as a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpResponseNotAllowed

from simnet.tenancy import roles
from simnet.tenancy.actors import Actor, request_actor
from simnet.tenancy.errors import ApplicationError, PermissionDeniedError

Result = TypeVar("Result")


def allow(request, *methods: str) -> HttpResponseNotAllowed | None:
    """None when the request's method is one of ``methods`` (GET also admits HEAD), else a 405."""
    admitted = set(methods) | ({"HEAD"} if "GET" in methods else set())
    return None if request.method in admitted else HttpResponseNotAllowed(list(methods))


def post_only(request) -> HttpResponseNotAllowed | None:
    return allow(request, "POST")


def actor(request) -> Actor | None:
    """Who acts: the API token of a token request, else the signed-in user."""
    return request_actor(request)


def can_write(request) -> bool:
    """Whether the member may change things (shows or hides the page's write controls)."""
    membership = getattr(request, "membership", None)
    return membership is not None and roles.at_least(membership.role, roles.WRITE)


def add_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's error on the form: on its fields when it names known ones, else on top."""
    placed = False
    for field, field_messages in error.fields.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def submit_form(form: forms.Form, call: Callable[..., Result], /, **kwargs) -> Result | None:
    """``call(**kwargs)``; a broken business rule lands on ``form`` and the result is None."""
    try:
        return call(**kwargs)
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        add_application_error(form, error)
        return None


def submit_or_message(request, call: Callable[..., Result], /, **kwargs) -> Result | None:
    """``call(**kwargs)``; a broken business rule becomes an error message and the result is None."""
    try:
        return call(**kwargs)
    except PermissionDeniedError:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
        return None


def attempt(request, call: Callable[..., object], /, **kwargs) -> bool:
    """Whether ``call(**kwargs)`` went through, for services that return nothing; a broken
    business rule becomes an error message."""
    return submit_or_message(request, lambda: call(**kwargs) or True) is not None
