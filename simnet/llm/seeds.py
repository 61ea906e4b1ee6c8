"""Seeds for sampling that follow the request, so a replayed run decodes the same."""

from __future__ import annotations

import hashlib


def decision_seed(run_seed: int, agent_id: str, step: int, attempt: int = 0) -> int:
    """Per agent, step and attempt, derived from the run seed (31 bits: every backend accepts it)."""
    digest = hashlib.sha256(f"{run_seed}|{agent_id}|{step}|{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
