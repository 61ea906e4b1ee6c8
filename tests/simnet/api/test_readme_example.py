"""The README's Python API example, run verbatim against a live server and a real worker.

The example is the ```python block of the README's "## API" section. It runs in its own
Python process with only SIMNET_URL and SIMNET_TOKEN set, against pytest-django's live server;
a django-q2 worker process on the test database takes the runs' steps, as in production. The
organization has one panel and the rule baseline provider, so no model is needed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.subprocess_env import BASE_DIR, start_qcluster

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # starts a worker process

README = BASE_DIR / "README.md"
EXAMPLE_TIMEOUT_SECONDS = 300  # a safety net for a hung worker, far above the usual ~20 s


def readme_python_example() -> str:
    api_section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", api_section, flags=re.DOTALL)
    return code


def stop(process: subprocess.Popen) -> None:
    """Kill the worker and its children at once: a graceful django-q2 shutdown takes seconds, and
    nothing it would finish matters once the test is over."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def worker():
    process = start_qcluster(Q_WORKERS="2", LOG_LEVEL="WARNING")
    yield process
    stop(process)


def test_the_readme_example_starts_an_experiment_and_prints_its_verdict(
    live_server, worker, tenancy, api_token_for, tmp_path
):
    from simnet.providers.models import ProviderConfig
    from simulations.models import Experiment
    from tests.support.runs import make_panel

    make_panel(tenancy.org_a, size=5, name="A decoy listed first")
    make_panel(tenancy.org_a, size=5, name="Cyclists")
    ProviderConfig.objects.create(organization=tenancy.org_a, name="A decoy", kind="offline")
    ProviderConfig.objects.create(organization=tenancy.org_a, name="Rules", kind="baseline")
    token = api_token_for(tenancy.org_a, role="member").raw_token
    script = Path(tmp_path / "example.py")
    script.write_text(readme_python_example())

    done = subprocess.run(
        [sys.executable, str(script)],
        env={"SIMNET_URL": live_server.url, "SIMNET_TOKEN": token, "SIMNET_PANEL": "Cyclists",
             "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT_SECONDS,
        check=False,  # the exit status is asserted below, with the example's output
    )

    assert done.returncode == 0, done.stdout + done.stderr
    experiment = Experiment.objects.for_org(tenancy.org_a).get()
    assert experiment.status == "completed" and len(experiment.variants) == 3
    assert (experiment.scenario.panel.name, experiment.scenario.provider.kind) == ("Cyclists", "baseline")
    assert experiment.runs.filter(status="completed").count() == 15
    verdict = experiment.result["comparison"]["verdict"]["summary"]
    assert done.stdout.splitlines() == [
        f"Experiment {experiment.pk}: 15 runs, about $0.00",
        verdict,
    ]


def test_the_readme_picks_by_kind_and_name_and_needs_no_uuidgen():
    text = README.read_text()
    assert "uuidgen" not in text and '["results"][0]' not in text
    code = readme_python_example()
    assert 'p["kind"] == "baseline"' in code and 'p["name"] == PANEL' in code
