"""A provider is named with its kind once, wherever it is shown (builder, estimate, run pages)."""

from __future__ import annotations

import pytest

from simnet.providers.build import choice_for
from simnet.providers.models import ProviderConfig


@pytest.mark.parametrize(
    ("name", "kind", "model", "label"),
    [
        ("Rule baseline", "baseline", "", "Rule baseline (no LLM)"),
        ("rule BASELINE ", "baseline", "", "Rule baseline (no LLM)"),
        ("Anthropic", "anthropic", "claude-x", "Anthropic, claude-x"),
        ("Team Claude", "anthropic", "claude-x", "Team Claude (Anthropic, claude-x)"),
        ("Fast rules", "baseline", "", "Fast rules (Rule baseline (no LLM))"),
    ],
)
def test_the_kind_is_named_once(name, kind, model, label):
    config = ProviderConfig(name=name, kind=kind, model=model)
    assert str(config) == label
    assert choice_for(config).label == label
