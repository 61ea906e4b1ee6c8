"""The view helpers every page shares (simnet/web.py): methods, service refusals, write rights."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from simnet.tenancy.errors import ApplicationError, PermissionDeniedError
from simnet.web import allow, attempt, post_only, submit_form, submit_or_message


class NameForm(forms.Form):
    name = forms.CharField()


def _request(method: str = "POST"):
    request = RequestFactory().generic(method, "/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _refuse(**fields):
    raise ApplicationError("Pick another name.", fields=fields)


def _forbid():
    raise PermissionDeniedError()


@pytest.mark.parametrize(("method", "allowed"), [("GET", True), ("HEAD", True), ("POST", False)])
def test_a_get_view_also_answers_head(method, allowed):
    refused = allow(_request(method), "GET")
    assert (refused is None) is allowed
    if not allowed:
        assert refused.status_code == 405 and refused["Allow"] == "GET"


def test_post_only_refuses_get_with_405():
    assert post_only(_request("POST")) is None
    assert post_only(_request("GET")).status_code == 405


def test_a_refusal_naming_a_field_lands_on_that_field_else_on_top():
    on_field = NameForm({"name": "x"})
    assert on_field.is_valid()
    assert submit_form(on_field, _refuse, name=["Taken."]) is None
    assert on_field.errors == {"name": ["Taken."]}

    on_top = NameForm({"name": "x"})
    assert on_top.is_valid()
    assert submit_form(on_top, _refuse) is None
    assert on_top.non_field_errors() == ["Pick another name."]


def test_a_success_returns_what_the_service_returned():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    assert submit_form(form, lambda **kwargs: kwargs, answer=42) == {"answer": 42}
    assert not form.errors


def test_a_permission_refusal_is_never_swallowed_into_the_page():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    with pytest.raises(PermissionDeniedError):
        submit_form(form, _forbid)
    with pytest.raises(PermissionDeniedError):
        submit_or_message(_request(), _forbid)
    with pytest.raises(PermissionDeniedError):
        attempt(_request(), _forbid)


def test_a_refusal_becomes_an_error_message():
    request = _request()
    assert submit_or_message(request, _refuse) is None
    assert [str(m) for m in get_messages(request)] == ["Pick another name."]


def test_attempt_tells_a_service_that_returns_nothing_apart_from_a_refusal():
    done = _request()
    assert attempt(done, lambda: None) is True
    assert list(get_messages(done)) == []

    refused = _request()
    assert attempt(refused, _refuse) is False
    assert [str(m) for m in get_messages(refused)] == ["Pick another name."]
