"""Themes on a Peloton-like corpus: an accusation theme, a joke theme, readable labels, seeded."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from simulations.analysis.themes import find_themes, top_terms
from simulations.analysis.vectors import (
    choose_k,
    distinct_rows,
    normalize_rows,
    silhouette,
    spherical_kmeans,
    tfidf,
)
from tests.support.peloton import ACCUSATIONS, CORPUS, FANS, JOKES, PRICE


@pytest.fixture(scope="module")
def report():
    return find_themes(CORPUS, [f"t{i}" for i in range(len(CORPUS))], seed=7)


def test_finds_a_sexism_and_body_shaming_accusation_theme(report):
    [accusation] = report.accusations
    assert {"sexist", "body shaming"} <= set(accusation.terms[:3])
    assert "body shaming" in accusation.label and "sexist" in accusation.label
    assert accusation.accusation_share == 1.0
    assert set(accusation.top_cues[:2]) == {"sexist", "body shaming"}
    assert all(q in ACCUSATIONS for q in accusation.representative_quotes)


def test_finds_joke_themes_about_the_hostage_video(report):
    jokes = report.jokes
    assert jokes and all(not t.is_accusation for t in jokes)
    assert any("hostage video" in t.terms for t in jokes)
    joke_ids = {pid for t in jokes for pid in t.post_ids}
    assert joke_ids == {f"t{CORPUS.index(j)}" for j in JOKES}


def test_fans_and_price_complaints_are_neither_jokes_nor_accusations(report):
    by_id = {pid: t for t in report.themes for pid in t.post_ids}
    for text in FANS + PRICE:
        theme = by_id[f"t{CORPUS.index(text)}"]
        assert not theme.is_accusation and not theme.is_joke


def test_sizes_shares_and_quotes_are_consistent(report):
    assert sum(t.size for t in report.themes) == len(CORPUS)
    assert sum(t.share for t in report.themes) == pytest.approx(1.0)
    assert [t.size for t in report.themes] == sorted((t.size for t in report.themes), reverse=True)
    assert report.method == "tfidf" and report.unclustered == 0
    assert report.k == len(report.themes) and report.silhouette > 0.3
    for theme in report.themes:
        assert 1 <= len(theme.representative_quotes) <= 3


def test_same_seed_same_themes():
    first, second = find_themes(CORPUS, seed=3), find_themes(CORPUS, seed=3)
    assert first == second


def test_labels_are_two_terms_that_share_no_word(report):
    for theme in report.themes:
        first, second = theme.label.split(" / ")
        assert first in theme.terms and second in theme.terms
        assert not set(first.split()) & set(second.split())


def test_a_unigram_inside_a_chosen_bigram_is_not_repeated(report):
    for theme in report.themes:
        assert any(" " in t for t in theme.terms)  # every theme of this corpus has a distinctive bigram
        for i, term in enumerate(theme.terms):
            earlier_bigram_words = {w for t in theme.terms[:i] if " " in t for w in t.split()}
            assert " " in term or term not in earlier_bigram_words


def test_clusters_on_an_embedding_when_given_one():
    def embed(texts):  # a crude embedding: accusation, joke and neither axes
        def joking(text: str) -> float:
            return float(any(cue in text.lower() for cue in ("lol", "lmao", "hostage", "blink")))

        return np.array([[float("sexist" in t.lower()), joking(t), 0.1] for t in texts])

    texts = list(ACCUSATIONS[:5] + JOKES[:5] + FANS[:5])
    report = find_themes(texts, embed=embed, k_range=(2, 3))
    assert report.method == "embedding"
    assert report.k == 3
    assert sorted(t.size for t in report.themes) == [5, 5, 5]


def test_tiny_and_empty_corpora():
    assert find_themes([]).themes == ()
    one = find_themes(["So sexist."])
    assert one.k == 1 and one.silhouette is None and one.themes[0].is_accusation
    stop_words_only = find_themes(["the and of", "it is what it is"])
    assert stop_words_only.themes == () and stop_words_only.unclustered == 2
    with pytest.raises(ValueError):
        find_themes(["a", "b"], ids=["only one"])


def test_top_terms_ranks_by_summed_tfidf():
    assert top_terms(["sexist ad", "sexist ad", "nice bike"], 2) == ("ad", "sexist")
    assert top_terms(["the and of"]) == ()


def test_tfidf_matches_a_hand_computation():
    vectors = tfidf([["a", "b"], ["a"], ["a", "a"]])
    assert vectors.vocabulary == ("a", "b")
    idf_b = np.log(4 / 2) + 1  # smooth idf with df(b) = 1 of 3 documents
    idf_a = np.log(4 / 4) + 1
    row0 = np.array([idf_a, idf_b]) / np.hypot(idf_a, idf_b)
    dense = vectors.matrix.toarray()
    np.testing.assert_allclose(dense[0], row0)
    np.testing.assert_allclose(dense[2], [1.0, 0.0])  # 1 + ln 2, normalised


def test_silhouette_matches_a_hand_computation():
    x = sp.csr_array(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    labels = np.array([0, 0, 1, 1])
    # cosine distances: d(0,2)=1, d(0,3)=0.4, d(2,3)=0.2; points 0 and 1 are identical
    expected = np.mean(
        [
            (0.7 - 0.0) / 0.7,  # point 0: a = 0, b = mean(1, 0.4)
            (0.7 - 0.0) / 0.7,
            (1.0 - 0.2) / 1.0,  # point 2: a = 0.2, b = mean(1, 1)
            (0.4 - 0.2) / 0.4,  # point 3: a = 0.2, b = mean(0.4, 0.4)
        ]
    )
    assert silhouette(x, labels) == pytest.approx(expected)


def test_kmeans_separates_obvious_groups_and_choose_k_finds_their_number():
    rng = np.random.default_rng(0)
    centres = np.eye(3)
    x = normalize_rows(np.vstack([c + rng.normal(0, 0.05, size=(10, 3)) for c in centres]))
    clustering, score = choose_k(x, (2, 5), seed=1)
    assert len(clustering.centroids) == 3 and score > 0.8
    assert all(len(set(clustering.labels[i * 10 : (i + 1) * 10])) == 1 for i in range(3))
    with pytest.raises(ValueError):
        spherical_kmeans(x, 0)


def test_distinct_rows_ignores_tiny_float_noise():
    x = sp.csr_array(np.array([[0.6, 0.8], [0.6, 0.8 + 1e-12], [1.0, 0.0], [0.0, 0.0]]))
    assert distinct_rows(x) == 3


def test_a_corpus_larger_than_the_silhouette_sample_still_finds_themes():
    texts = [CORPUS[i % len(CORPUS)] + f" word{i % 50} extra{i % 7}" for i in range(3000)]
    report = find_themes(texts, seed=1)
    assert sum(t.size for t in report.themes) == 3000
    assert report.accusations and report.jokes
