"""Reaction model: who reacts to a post, and how (like, repost, quote, reply, follow, or ignore).

One multinomial logistic regression (scikit-learn) over everyone's exposures, so a sparse persona
borrows from all: its own intercepts (one indicator column per persona and action) are shrunk by the
L2 penalty toward the pooled intercept, the usual random-effects-like prior. Features: the target's
hashed TF-IDF text and hashed author, how close the post is to the persona's own texts and to what
it engaged with before, and how often it engaged that author and that community before. The
probability of engaging at all is then calibrated by isotonic regression fitted on the time-last 20%.

Contract for negatives: the caller passes, beside what a persona did, exposures labelled
``ignore``: posts the persona plausibly saw (in its communities or feed, in the same period) and
did not react to. Without them there is nothing to learn "who reacts" from, so fitting refuses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from simulations.analysis.calibration import Reliability, reliability
from simulations.learning.features import TextHasher

AUTHOR_FEATURES = 2**10
TEXT_FEATURES = 2**12
# Pooling strengths tried; the one with the best log loss on the time-last 20% of training wins.
# Strong pooling (small C) keeps sparse personas near the pool; rich histories afford weaker.
REGULARISATION_GRID = (0.01, 0.03, 0.1, 0.3)
DEFAULT_C = 0.1  # when the early training part has no reaction to tune on
CALIBRATION_SHARE = 0.2
DENSE_NAMES = (
    "own_text_overlap", "engaged_text_overlap", "author_engaged", "author_replied", "author_share",
    "community_engaged", "community_share",
)  # fmt: skip


class Label(StrEnum):
    IGNORE = "ignore"
    LIKE = "like"
    REPOST = "repost"
    QUOTE = "quote"
    REPLY = "reply"
    FOLLOW = "follow"


ACTIONS = tuple(Label)


@dataclass(frozen=True)
class Exposure:
    """A persona saw a post (``at`` orders exposures in time)."""

    persona: str
    post_id: str
    post_text: str
    post_author: str
    at: datetime
    community: str = ""


@dataclass
class PersonaHistory:
    """What one persona did before: the memory the history features read (and the model stores)."""

    author_engaged: Counter = field(default_factory=Counter)
    author_replied: Counter = field(default_factory=Counter)
    author_seen: Counter = field(default_factory=Counter)
    community_engaged: Counter = field(default_factory=Counter)
    community_seen: Counter = field(default_factory=Counter)
    engaged_text: np.ndarray | None = None  # sum of the TF-IDF rows of engaged targets
    own_text: np.ndarray | None = None  # unit TF-IDF profile of the persona's own texts

    def to_dict(self) -> dict:
        return {
            **{name: dict(getattr(self, name)) for name in _COUNTERS},
            "engaged_text": _sparse_dict(self.engaged_text),
            "own_text": _sparse_dict(self.own_text),
        }

    @classmethod
    def from_dict(cls, data: Mapping, size: int) -> PersonaHistory:
        return cls(
            **{name: Counter(data[name]) for name in _COUNTERS},
            engaged_text=_dense(data["engaged_text"], size),
            own_text=_dense(data["own_text"], size),
        )


_COUNTERS = ("author_engaged", "author_replied", "author_seen", "community_engaged", "community_seen")


def _sparse_dict(vector: np.ndarray | None) -> dict | None:
    if vector is None:
        return None
    indices = np.flatnonzero(vector)
    return {"indices": indices.tolist(), "values": vector[indices].tolist()}


def _dense(data: Mapping | None, size: int) -> np.ndarray | None:
    if data is None:
        return None
    vector = np.zeros(size)
    vector[np.asarray(data["indices"], dtype=int)] = data["values"]
    return vector


def _cosine(row: sp.csr_matrix, profile: np.ndarray | None) -> float:
    if profile is None:
        return 0.0
    norm = float(np.linalg.norm(profile))
    return float((row @ profile)[0]) / norm if norm else 0.0


def _dense_features(history: PersonaHistory, exposure: Exposure, text_row: sp.csr_matrix) -> list[float]:
    author, community = exposure.post_author, exposure.community
    return [
        _cosine(text_row, history.own_text),
        _cosine(text_row, history.engaged_text),
        float(np.log1p(history.author_engaged[author])),
        float(np.log1p(history.author_replied[author])),
        history.author_engaged[author] / (history.author_seen[author] + 1),
        float(np.log1p(history.community_engaged[community])) if community else 0.0,
        history.community_engaged[community] / (history.community_seen[community] + 1) if community else 0.0,
    ]


def _remember(history: PersonaHistory, exposure: Exposure, text_row: sp.csr_matrix, action: Label) -> None:
    history.author_seen[exposure.post_author] += 1
    if exposure.community:
        history.community_seen[exposure.community] += 1
    if action == Label.IGNORE:
        return
    history.author_engaged[exposure.post_author] += 1
    if action == Label.REPLY:
        history.author_replied[exposure.post_author] += 1
    if exposure.community:
        history.community_engaged[exposure.community] += 1
    if history.engaged_text is None:
        history.engaged_text = np.zeros(text_row.shape[1])
    history.engaged_text[text_row.indices] += text_row.data


@dataclass(frozen=True)
class ReactionModel:
    hasher: TextHasher
    personas: tuple[str, ...]  # one intercept column per persona (and action)
    classes: tuple[Label, ...]  # the actions seen in training, in the coefficients' row order
    coef: np.ndarray  # classes x features (or 1 x features for two classes, as scikit-learn keeps it)
    intercept: np.ndarray
    calibration_x: np.ndarray  # isotonic thresholds for p(engage)
    calibration_y: np.ndarray
    histories: dict[str, PersonaHistory]
    n_train: int

    @cached_property
    def persona_index(self) -> dict[str, int]:
        return {persona: i for i, persona in enumerate(self.personas)}

    def _rows(self, exposures: Sequence[Exposure]) -> sp.csr_matrix:
        text_rows = self.hasher.transform([e.post_text for e in exposures])
        empty = PersonaHistory()
        dense = np.array(
            [
                _dense_features(self.histories.get(e.persona, empty), e, text_rows[i])
                for i, e in enumerate(exposures)
            ]
        )
        return _design(self.persona_index, exposures, text_rows, dense)

    def _raw(self, x: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated class probabilities, rows x classes (softmax of the linear scores)."""
        scores = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 2:  # scikit-learn's binary case keeps one row of coefficients
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def probabilities_many(self, exposures: Sequence[Exposure]) -> list[dict[str, float]]:
        """``probabilities`` of many exposures at once (one matrix product instead of one per exposure)."""
        engaged_actions = [a for a in self.classes if a != Label.IGNORE]
        out = []
        for row in self._raw(self._rows(exposures)).tolist():
            raw = dict(zip(self.classes, row, strict=True))
            engaged_raw = 1.0 - raw.get(Label.IGNORE, 0.0)
            engaged = self._calibrate(engaged_raw)
            probabilities = {str(a): 0.0 for a in ACTIONS}
            for action in engaged_actions:
                share = raw[action] / engaged_raw if engaged_raw > 0 else 1 / len(engaged_actions)
                probabilities[str(action)] = engaged * share
            probabilities[str(Label.IGNORE)] = 1.0 - engaged
            out.append(probabilities)
        return out

    def probabilities(self, exposure: Exposure) -> dict[str, float]:
        """Calibrated probability of each action (they sum to 1); actions never seen in training get 0."""
        return self.probabilities_many([exposure])[0]

    def p_engage(self, exposure: Exposure) -> float:
        """Calibrated probability that the persona does anything but ignore the post."""
        return 1.0 - self.probabilities(exposure)[str(Label.IGNORE)]

    def _calibrate(self, p: float) -> float:
        return float(np.interp(p, self.calibration_x, self.calibration_y))

    def reliability(
        self, exposures: Sequence[Exposure], actions: Sequence[str], bins: int = 10
    ) -> Reliability:
        """Reliability diagram, Brier score and slope of p(engage) on the given (held-out) exposures."""
        engaged = [Label(a) != Label.IGNORE for a in actions]
        p_engaged = [1.0 - p[str(Label.IGNORE)] for p in self.probabilities_many(exposures)]
        return reliability(engaged, p_engaged, bins=bins)

    def to_dict(self) -> dict:
        return {
            "kind": "reaction_model",
            "dense_features": list(DENSE_NAMES),
            "author_features": AUTHOR_FEATURES,
            "hasher": self.hasher.to_dict(),
            "personas": list(self.personas),
            "classes": [str(c) for c in self.classes],
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "calibration_x": self.calibration_x.tolist(),
            "calibration_y": self.calibration_y.tolist(),
            "histories": {p: h.to_dict() for p, h in self.histories.items()},
            "n_train": self.n_train,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ReactionModel:
        if tuple(data["dense_features"]) != DENSE_NAMES or data["author_features"] != AUTHOR_FEATURES:
            raise ValueError("this reaction model was stored with other features; refit it")
        hasher = TextHasher.from_dict(data["hasher"])
        return cls(
            hasher=hasher,
            personas=tuple(data["personas"]),
            classes=tuple(Label(c) for c in data["classes"]),
            coef=np.asarray(data["coef"], dtype=float),
            intercept=np.asarray(data["intercept"], dtype=float),
            calibration_x=np.asarray(data["calibration_x"], dtype=float),
            calibration_y=np.asarray(data["calibration_y"], dtype=float),
            histories={
                p: PersonaHistory.from_dict(h, hasher.n_features) for p, h in data["histories"].items()
            },
            n_train=int(data["n_train"]),
        )


_AUTHOR_HASHER = FeatureHasher(n_features=AUTHOR_FEATURES, input_type="string", alternate_sign=False)


def _design(
    persona_index: Mapping[str, int],
    exposures: Sequence[Exposure],
    text_rows: sp.csr_matrix,
    dense: np.ndarray,
) -> sp.csr_matrix:
    """[dense history features | text | author | persona indicator], one row per exposure."""
    columns = [persona_index.get(e.persona, -1) for e in exposures]
    known = [i for i, c in enumerate(columns) if c >= 0]
    persona = sp.csr_matrix(
        (np.ones(len(known)), (known, [columns[i] for i in known])),
        shape=(len(exposures), len(persona_index)),
    )
    author = _AUTHOR_HASHER.transform([[f"author={e.post_author}"] for e in exposures])
    return sp.hstack([sp.csr_matrix(dense.reshape(len(exposures), -1)), text_rows, author, persona]).tocsr()


def _own_profiles(hasher: TextHasher, persona_texts: Mapping[str, list[str]]) -> dict[str, np.ndarray]:
    return {
        persona: np.asarray(hasher.transform(texts).sum(axis=0)).ravel()
        for persona, texts in persona_texts.items()
        if texts
    }


def _logistic(x: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, c: float) -> LogisticRegression:
    """newton-cg: with scipy 1.17 lbfgs took ~10x longer on ~16k multinomial coefficients."""
    model = LogisticRegression(C=c, solver="newton-cg", max_iter=500)
    return model.fit(x, y, sample_weight=weights)


def fit_reactions(
    exposures: Sequence[Exposure],
    actions: Sequence[str],
    *,
    persona_texts: Mapping[str, list[str]] | None = None,
    weights: Sequence[float] | None = None,
) -> ReactionModel:
    """Fit the reaction model; ``actions[i]`` is what the persona did on ``exposures[i]`` (see the contract).

    ``weights``: how many real exposures each one stands for, when the ignored ones were sampled
    (``exposures.sample_ignored``); without them a sample's rates would be the model's rates."""
    labels = [Label(a) for a in actions]
    weights = list(weights) if weights is not None else [1.0] * len(labels)
    if not len(labels) == len(exposures) == len(weights):
        raise ValueError("one action and one weight per exposure")
    if Label.IGNORE not in labels or all(a == Label.IGNORE for a in labels):
        raise ValueError("need both ignored exposures (the negatives) and reactions to learn who reacts")
    order = sorted(range(len(exposures)), key=lambda i: exposures[i].at)
    exposures, labels = [exposures[i] for i in order], [labels[i] for i in order]
    w = np.array([weights[i] for i in order], dtype=float)
    persona_texts = persona_texts or {}
    hasher = TextHasher.fit([e.post_text for e in exposures] + [t for ts in persona_texts.values() for t in ts],
                            n_features=TEXT_FEATURES)  # fmt: skip
    personas = tuple(sorted({e.persona for e in exposures}))
    persona_index = {persona: i for i, persona in enumerate(personas)}
    histories: dict[str, PersonaHistory] = defaultdict(PersonaHistory)
    for persona, profile in _own_profiles(hasher, persona_texts).items():
        histories[persona].own_text = profile
    text_rows = hasher.transform([e.post_text for e in exposures])
    dense = []
    for i, (exposure, label) in enumerate(zip(exposures, labels, strict=True)):
        history = histories[exposure.persona]
        dense.append(_dense_features(history, exposure, text_rows[i]))
        _remember(history, exposure, text_rows[i], label)
    x = _design(persona_index, exposures, text_rows, np.array(dense))
    y = np.array([str(a) for a in labels])
    cut = round(len(y) * (1 - CALIBRATION_SHARE))
    if len(set(y[:cut])) < 2:  # every reaction is recent: nothing to tune or calibrate on
        final = _logistic(x, y, w, DEFAULT_C)
        return ReactionModel(
            hasher=hasher, personas=personas, classes=tuple(Label(k) for k in final.classes_),
            coef=final.coef_, intercept=final.intercept_, calibration_x=np.array([0.0, 1.0]),
            calibration_y=np.array([0.0, 1.0]), histories=dict(histories), n_train=len(y),
        )  # fmt: skip
    engaged_late = y[cut:] != str(Label.IGNORE)
    candidates = []
    for c in REGULARISATION_GRID:
        early = _logistic(x[:cut], y[:cut], w[:cut], c)
        model = ReactionModel(
            hasher=hasher, personas=personas, classes=tuple(Label(k) for k in early.classes_),
            coef=early.coef_, intercept=early.intercept_, calibration_x=np.array([0.0, 1.0]),
            calibration_y=np.array([0.0, 1.0]), histories=dict(histories), n_train=len(y),
        )  # fmt: skip
        raw_engaged = 1.0 - model._raw(x[cut:])[:, model.classes.index(Label.IGNORE)]
        loss = log_loss(engaged_late, np.clip(raw_engaged, 1e-6, 1 - 1e-6), sample_weight=w[cut:], labels=[False, True])
        candidates.append((loss, c, model, raw_engaged))
    _, best_c, model, raw_engaged = min(candidates, key=lambda candidate: candidate[0])
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
        raw_engaged, engaged_late, sample_weight=w[cut:]
    )
    final = _logistic(x, y, w, best_c)
    return replace(
        model,
        classes=tuple(Label(c) for c in final.classes_),
        coef=final.coef_,
        intercept=final.intercept_,
        calibration_x=isotonic.X_thresholds_.astype(float),
        calibration_y=isotonic.y_thresholds_.astype(float),
    )
