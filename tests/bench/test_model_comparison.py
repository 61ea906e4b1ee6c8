"""The offline-model comparison scores first attempts by the quality gate's rubric (canned texts)."""

from __future__ import annotations

import json

from bench.model_comparison import GateScore, ModelFigures, score_answers, verdict
from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation
from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL
from simulations.engine.schemas import DECISION_SCHEMA

AD = FeedItem(
    "ad", "ext:bike", "PedalProBrand", "Give the gift that gives back: the Pedal Pro home bike.", "post"
)
FEED = Situation(agent_id="a1", step=1, feed=(AD,), format="feed")


def _decision(action: str, text: str | None, target: str | None = None) -> tuple[LLMRequest, LLMResponse]:
    request = LLMRequest(key="a1", system="You are Ann.", user="Feed:\nP1 @PedalProBrand: ...", schema=DECISION_SCHEMA,
                         situation=FEED)  # fmt: skip
    data = {"action": action, "target": target, "text": text, "reason": "felt like it"}
    return request, LLMResponse(key="a1", text=json.dumps(data), data=data)


def _interview(text: str) -> tuple[LLMRequest, LLMResponse]:
    request = LLMRequest(key="interview:a1", system="You are Ann.", user="Interviewer: What did you think?",
                         situation=Situation(agent_id="a1", step=3, format="interview"))  # fmt: skip
    return request, LLMResponse(key=request.key, text=text)


def test_junk_is_rejected_and_a_plain_reaction_passes():
    score = score_answers(
        [
            _decision("post", "Finally got my morning ride in before work. Legs are done."),
            _decision("post", "Your own short words for post reply quote"),  # the rules echoed back
            _decision("reply", "I am going to buy the", "P1"),  # cut mid-sentence
            _decision("like", None, "P1"),  # no text: nothing for a reader to see
            _interview("I scrolled past the bike ad. Too pricey for me, honestly."),
        ]
    )

    assert (score.checked, score.rejected) == (4, 2)
    assert score.reject_share == 0.5
    assert sum(score.reasons.values()) == 2 and "scaffolding" in score.reasons


def test_an_answer_that_failed_is_not_scored_as_text():
    request, _ = _decision("post", "x")
    failed = LLMResponse(key="a1", text="", error="offline model: the answer ran out of the context window")

    assert score_answers([(request, failed)]) == GateScore()


def test_the_figures_per_model_name_the_gate_share():
    figures = ModelFigures("m", decisions=10, valid=9, seconds=25.0, gate=GateScore(8, 2))

    assert figures.to_json() | {"gate_reasons": {}, "gate_reject_interval_95": None} == {
        "gate_reject_share": 0.25,
        "gate_reject_interval_95": None,
        "valid_share": 0.9,
        "seconds_per_decision": 2.5,
        "decisions": 10,
        "texts_checked": 8,
        "gate_reasons": {},
    }
    assert GateScore(0, 0).reject_share == 0.0
    low, high = figures.to_json()["gate_reject_interval_95"]
    assert low < 0.25 < high  # 2 of 8: a wide Wilson interval, not a point


def _model(name: str, rejected: int, checked: int = 60, valid: int = 50, decisions: int = 55) -> ModelFigures:
    return ModelFigures(
        name, decisions=decisions, valid=valid, seconds=10.0, gate=GateScore(checked, rejected)
    )


def test_a_small_difference_is_called_noise_and_keeps_the_default():
    chosen = verdict({"small": _model("small", 9), "big": _model("big", 6)}, "small")

    assert chosen.better is None
    assert "within noise" in chosen.text and "9/60 against 6/60" in chosen.text


def test_a_clear_difference_in_gate_rejections_names_the_better_model():
    assert verdict({"small": _model("small", 30), "big": _model("big", 3)}, "small").better == "big"
    kept = verdict({"small": _model("small", 3), "big": _model("big", 30)}, "small")
    assert kept.better is None and "small is better" in kept.text


def test_usable_decisions_decide_when_the_gate_ties():
    results = {"small": _model("small", 6, valid=20), "big": _model("big", 6, valid=54)}

    assert verdict(results, "small").better == "big"


def test_no_verdict_without_two_measured_models():
    assert verdict({"small": _model("small", 6), "big": "ImportError: no llama_cpp"}, "small").better is None
    assert "not measured" in verdict({"big": _model("big", 6)}, "small").text


def test_bench_models_reports_the_share_per_model_and_the_verdict(monkeypatch, capsys):
    import bench.__main__ as bench_main

    results = {
        DEFAULT_OFFLINE_MODEL: _model(DEFAULT_OFFLINE_MODEL, 9),
        "gemma": "ImportError: x",
    }
    monkeypatch.setattr(bench_main, "compare_models", lambda: results)

    assert bench_main.main(["--models", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)

    assert printed["offline_models"][DEFAULT_OFFLINE_MODEL]["gate_reject_share"] == 0.15
    assert printed["offline_models"]["gemma"] == {
        "gate_reject_share": None,
        "status": "not available (ImportError: x)",
    }
    assert printed["offline_model_verdict"]["better"] is None
    assert f"only {DEFAULT_OFFLINE_MODEL} was measured" in printed["offline_model_verdict"]["text"]
