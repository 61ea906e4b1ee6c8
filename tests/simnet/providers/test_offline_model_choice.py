"""A user picks either offline model by name on the providers page; a misspelt one is refused
when saved (not at the first run), and a blank one runs the default."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL, GEMMA3, SMOLLM2
from simnet.providers.build import choice_for
from simnet.providers.models import ProviderConfig
from simnet.providers.services import provider_config_create
from simnet.tenancy.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [GEMMA3, SMOLLM2, ""])
def test_either_packaged_model_or_blank_is_saved(org_a, org_admin, model):
    config = provider_config_create(
        organization=org_a, actor=org_admin, name="Offline", kind=ProviderConfig.Kind.OFFLINE, model=model
    )
    assert choice_for(config).model == (model or DEFAULT_OFFLINE_MODEL)


def test_an_unknown_offline_model_is_refused_with_the_choices(org_a, org_admin):
    with pytest.raises(ApplicationError) as refused:
        provider_config_create(
            organization=org_a,
            actor=org_admin,
            name="Offline",
            kind=ProviderConfig.Kind.OFFLINE,
            model="gemma-7b",
        )
    assert GEMMA3 in refused.value.fields["model"][0] and SMOLLM2 in refused.value.fields["model"][0]
    assert not ProviderConfig.objects.for_org(org_a).exists()


def test_the_providers_page_names_the_offline_models(org_a, org_admin_client):
    page = org_admin_client.get(reverse("provider_list")).content.decode()
    assert GEMMA3 in page and SMOLLM2 in page
    assert f"<td>Offline</td><td>{DEFAULT_OFFLINE_MODEL}</td>" in page  # the default row names it

    form = {"name": "Gemma", "kind": "offline", "model": GEMMA3, "max_concurrency": 4}
    response = org_admin_client.post(reverse("provider_create"), form)
    assert response.status_code == 302
    assert ProviderConfig.objects.for_org(org_a).get().model == GEMMA3
