"""``manage.py simulate``, the README's command-line run: its timeline, its seed and its answer cache.

The rule baseline (``--provider baseline``) answers instantly without a model, so these runs
test the command and the engine, not llama.cpp.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

RUN = ("--provider", "baseline", "--demo", "30", "--steps", "4")
STEP_LINE = re.compile(r"^s\d+\s+\w{3} \d\d:\d\d  @\w+ +\w+")
TAMPERED = "Read back from the cache file"


def simulate(*args: str) -> tuple[str, str]:
    """Run the command in this process: (the timeline on stdout, progress and totals on stderr)."""
    out, err = StringIO(), StringIO()
    call_command("simulate", *RUN, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def provider_calls(log: str) -> int:
    return int(re.search(r"provider calls (\d+);", log).group(1))


def test_a_demo_run_prints_the_stimulus_then_the_panels_actions(tmp_path: Path):
    timeline, log = simulate("--seed", "3", "--no-cache")

    first, *actions = timeline.splitlines()
    assert "@FitBikeCo" in first and "STIMULUS [boosted]: This holiday, give the gift" in first
    assert len(actions) >= 5 and all(STEP_LINE.match(line) for line in actions), timeline
    assert log.startswith("30 personas, 4 steps, provider baseline")
    assert "  step 3 done: " in log and "stopped: completed; " in log
    assert provider_calls(log) > 0


def test_the_same_seed_reproduces_the_run_and_another_seed_differs():
    first, _ = simulate("--seed", "3", "--no-cache")
    again, _ = simulate("--seed", "3", "--no-cache")
    other, _ = simulate("--seed", "4", "--no-cache")

    assert again == first
    assert other != first


def test_a_second_run_reads_its_answers_back_from_the_cache_file(tmp_path: Path):
    cache = tmp_path / "simulate-cache.json"
    first, first_log = simulate("--seed", "3", "--cache", str(cache))
    answers = json.loads(cache.read_text())
    assert len(answers) == provider_calls(first_log) > 0

    again, again_log = simulate("--seed", "3", "--cache", str(cache))
    assert again == first and provider_calls(again_log) == 0

    # Rewrite the first cached post on disk: a third run prints it, so its answers came from the file.
    # (Only the first: the posts after it were answered to feeds that showed the original text.)
    post = next(answer for answer in answers.values() if answer["data"]["action"] == "post")
    post["data"]["text"] = TAMPERED
    post["text"] = json.dumps(post["data"])
    cache.write_text(json.dumps(answers))
    tampered, _ = simulate("--seed", "3", "--cache", str(cache))
    assert f"post: {TAMPERED}" in tampered and TAMPERED not in first
