"""The counting fake provider the reliability tests drive real worker processes with.

Enabled by ``SIMNET_TEST_PROVIDER_KINDS`` (``ENABLED`` in settings, ``ENABLED_ENV`` for a child
process; production refuses it) and chosen by a ProviderConfig of kind "fake". Options come from the ``SIMNET_FAKE_PROVIDER`` environment
variable (JSON) so a test can configure a worker subprocess:
``log`` (file that gets one line per answered request: how tests count calls across kills),
``delay_s`` (per request, so a kill can land mid-step), ``error_for`` (agent ids that always get
a per-request error), ``quota_after_requests`` (raise QuotaExceeded once the log holds that many).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from simnet.llm.base import LLMRequest, LLMResponse, QuotaExceeded
from simnet.llm.testing import FakeProvider

ENABLED = {"fake": "tests.support.fake_provider.counting_fake_provider"}
ENABLED_ENV = ",".join(f"{kind}={factory}" for kind, factory in ENABLED.items())


def _options() -> dict:
    return json.loads(os.environ.get("SIMNET_FAKE_PROVIDER", "{}") or "{}")


def logged_requests(log: str | os.PathLike) -> list[str]:
    path = Path(log)
    return path.read_text().splitlines() if path.exists() else []


class CountingFakeProvider:
    name = "fake"
    model = "fake-1"

    def __init__(self, *, log: str | None = None, delay_s: float = 0.0, error_for=(), quota_after_requests=None):
        self.inner = FakeProvider(error_for=error_for)
        self.log = log
        self.delay_s = delay_s
        self.quota_after_requests = quota_after_requests

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers = []
        for request in requests:
            quota = self.quota_after_requests
            if quota is not None and self.log and len(logged_requests(self.log)) >= quota:
                raise QuotaExceeded("fake provider: monthly quota exhausted")
            time.sleep(self.delay_s)
            answers += self.inner.generate([request])
            if self.log:
                with open(self.log, "a") as handle:
                    handle.write(f"{request.key}\n")
        return answers


def counting_fake_provider() -> CountingFakeProvider:
    return CountingFakeProvider(**_options())
