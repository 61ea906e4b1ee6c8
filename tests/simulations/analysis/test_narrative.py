"""Citations of a narrative: kept when they name a post of the run, removed and counted when not."""

from __future__ import annotations

from simulations.analysis.narrative import check_citations, metrics_digest, split_citations


def test_invented_citations_are_removed_and_each_one_counted():
    text = "Ana mocked it [post:p3]. Critics piled on [post:p99] [post:p3], as [post:p99] shows."
    checked = check_citations(text, known={"p1", "p3"})
    assert checked.cited == ("p3",)
    assert checked.dropped == ("p99", "p99")
    assert checked.text == "Ana mocked it [post:p3]. Critics piled on [post:p3], as shows."
    assert "p99" not in checked.text


def test_a_text_without_valid_citations_cites_nothing():
    checked = check_citations("Everyone loved it [post:zz].", known={"p1"})
    assert checked.cited == () and checked.dropped == ("zz",)
    assert checked.text == "Everyone loved it."


def test_split_puts_each_citation_between_its_words():
    assert split_citations("A [post:p1] b [post: p2]") == [
        ("text", "A "), ("post", "p1"), ("text", " b "), ("post", "p2"),
    ]  # fmt: skip


def test_the_metrics_digest_keeps_the_numbers_and_new_small_sections_but_no_uncitable_texts():
    report = {
        "totals": {"step": None, "likes": 3},
        "steps": [{"step": 0, "likes": 3}],
        "responses": [{"text": "x"}],
        "themes": {"themes": [{"label": "price", "size": 2, "representative_quotes": ["too dear"]}]},
        "stance": {"shift": 0.4},  # a section another part of the report adds later
        "meeting": {"chair": "ana", "closed": True, "influence": {}, "notes": ["n"], "items": ["x" * 5000]},
    }
    digest = metrics_digest(report)
    assert digest["totals"] == {"likes": 3} and digest["stance"] == {"shift": 0.4}
    assert "steps" not in digest and "responses" not in digest
    assert digest["themes"] == [{"label": "price", "size": 2, "terms": []}]
    assert digest["meeting"] == {"chair": "ana", "closed": True, "influence": {}, "notes": ["n"]}
