"""Honest backtest scores: every metric with a 95% interval, judged against reference predictors.

A policy "beats" a reference on a metric only when the interval of the paired difference
(both scored on the same bootstrap resamples of cases) excludes zero in the good direction,
and it beats the metric overall only when it beats every reference in the table. Point wins
mean little: on rare engagement "everyone ignores" wins accuracy-like scores by saying
nothing, so it is always a reference for reactions, and a policy whose predictions are
constant (it ranks nobody) is flagged ``degenerate`` and never beats anything.

Resampling is by case (the real post), not by row: the pairs of one post share its news
cycle, so treating them as independent would make the intervals far too narrow
(``resampling`` holds the vectorised bootstrap).

Warnings travel with the table: ``small_n`` (too few cases, positives or texts for the
interval to mean much), ``shift`` (the test period does not look like training, so the
references fitted on training are handicapped), ``copying`` (simulated texts parrot their
source post) and ``degenerate``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from simulations.analysis.resampling import (
    case_weights,
    interval,
    paired,
    spearman_samples,
    weighted_mean,
    weighted_ranking,
)
from simulations.analysis.sentiment import FIVE_BIN_EDGES, five_bins, js_divergence
from simulations.analysis.text import copies
from simulations.analysis.themes import top_terms

EVERYONE_IGNORES = "everyone_ignores"
REAL = "real"
MIN_CASES = 30
MIN_POSITIVES = 10
MIN_TEXTS = 20
COPY_WARN_SHARE = 0.2
SHIFT_BLOCK = 50  # posts per block when measuring how much a period mean wanders
SHIFT_SDS = 2.0
SHIFT_KS_ALPHA = 0.01
THEME_TERMS = 10
THEME_RESAMPLES = 200  # top_terms refits TF-IDF per resample; 200 keeps the interval cheap


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None  # None when undefined for this row; ``note`` says why
    low: float | None
    high: float | None
    n: int
    higher_is_better: bool
    note: str = ""

    def text(self) -> str:
        if self.value is None:
            return f"— ({self.note})" if self.note else "—"
        if self.low is None or self.high is None:
            return f"{self.value:.3f}"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class Cell:
    metric: Metric
    beats: tuple[str, ...] = ()  # references whose paired-difference interval this row clears
    loses_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    name: str
    kind: str  # "policy" or "reference"
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Warning:  # the name callers use; this module never raises built-in warnings
    code: str  # small_n, shift, copying, degenerate
    text: str


@dataclass(frozen=True)
class Table:
    title: str
    metric_names: tuple[str, ...]
    rows: tuple[Row, ...]  # references first
    n_cases: int
    warnings: tuple[Warning, ...] = ()

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows if r.kind == "reference")

    def beats_all(self, row: Row) -> tuple[str, ...]:
        """Metrics on which ``row`` beats every reference (none when there is no reference)."""
        references = set(self.references)
        if row.kind != "policy" or not references:
            return ()
        return tuple(m for m in self.metric_names if m in row.cells and references <= set(row.cells[m].beats))

    def to_dict(self) -> dict:
        data = asdict(self)
        for row_data, row in zip(data["rows"], self.rows, strict=True):
            row_data["beats_all_references"] = list(self.beats_all(row))
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> Table:
        rows = tuple(
            Row(
                r["name"],
                r["kind"],
                {
                    name: Cell(Metric(**c["metric"]), tuple(c["beats"]), tuple(c["loses_to"]))
                    for name, c in r["cells"].items()
                },
            )
            for r in data["rows"]
        )
        warnings = tuple(Warning(w["code"], w["text"]) for w in data["warnings"])
        return cls(data["title"], tuple(data["metric_names"]), rows, data["n_cases"], warnings)

    def to_markdown(self) -> str:
        arrows = {m: "↑" for m in self.metric_names}
        for row in self.rows:
            for name, cell in row.cells.items():
                arrows[name] = "↑" if cell.metric.higher_is_better else "↓"
        header = ["row", "kind", *(f"{m} {arrows[m]}" for m in self.metric_names), "beats all references"]
        lines = [
            f"### {self.title}",
            "",
            f"n = {self.n_cases} cases; value [95% CI]",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        for row in self.rows:
            cells = [row.cells[m].metric.text() if m in row.cells else "—" for m in self.metric_names]
            beats = ", ".join(self.beats_all(row)) if row.kind == "policy" else ""
            lines.append("| " + " | ".join([row.name, row.kind, *cells, beats or "—"]) + " |")
        if self.warnings:
            lines += ["", "Warnings:", *(f"- **{w.code}**: {w.text}" for w in self.warnings)]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReactionPrediction:
    """One predictor's view of every (case post, persona) pair, aligned with the real arrays."""

    p_engage: np.ndarray
    p_reply: np.ndarray | None = None
    action: np.ndarray | None = None  # action names ("like", "reply", "ignore"...)


@dataclass(frozen=True)
class _Scored:
    """One row's metric: the point value (None if undefined) and its value on every resample.

    ``samples`` stay defined where a row's value is not (a constant predictor ranks at chance),
    so a policy can still be paired against that row.
    """

    value: float | None
    samples: np.ndarray
    n: int
    note: str = ""


@dataclass(frozen=True)
class _Judged:
    scores: Mapping[str, Mapping[str, _Scored]]  # row -> metric -> scores
    higher_is_better: Mapping[str, bool]
    references: Sequence[str]
    silent: Collection[str] = field(default_factory=frozenset)  # rows that may never beat


def _rows(judged: _Judged) -> tuple[Row, ...]:
    names = [*judged.references, *(n for n in judged.scores if n not in judged.references)]
    rows = []
    for name in names:
        cells = {}
        for metric, scored in judged.scores[name].items():
            higher = judged.higher_is_better[metric]
            low, high = interval(scored.samples) if scored.value is not None else (None, None)
            verdicts = {}
            if name not in judged.references and scored.value is not None:
                verdicts = {
                    ref: paired(scored.samples, judged.scores[ref][metric].samples, higher)
                    for ref in judged.references
                }
            may_beat = name not in judged.silent  # a constant policy may lose, never win
            beats = tuple(ref for ref, v in verdicts.items() if v > 0 and may_beat)
            loses = tuple(ref for ref, v in verdicts.items() if v < 0)
            metric_row = Metric(metric, scored.value, low, high, scored.n, higher, scored.note)
            cells[metric] = Cell(metric_row, beats, loses)
        kind = "reference" if name in judged.references else "policy"
        rows.append(Row(name, kind, cells))
    return tuple(rows)


def _ranking_pair(
    weights: np.ndarray, labels: np.ndarray, scores: np.ndarray | None, missing: str
) -> tuple[_Scored, _Scored]:
    """AUC and PR AUC; ``scores`` None means nothing predicted, resampled as all zeros."""
    filled = np.zeros(len(labels)) if scores is None else np.asarray(scores, dtype=float)
    auc, ap = weighted_ranking(weights, labels, filled)
    n = len(labels)
    if labels.all() or not labels.any():
        note = "every pair was positive" if labels.any() else "no real positives"
        undefined = _Scored(None, np.full(len(weights), np.nan), n, note)
        return undefined, undefined
    if scores is None:
        return _Scored(None, auc, n, missing), _Scored(None, ap, n, missing)
    if np.ptp(filled) == 0:
        return (
            _Scored(None, auc, n, "constant predictions rank nobody (chance 0.5)"),
            _Scored(None, ap, n, "constant predictions rank nobody (chance = positive rate)"),
        )
    return (
        _Scored(float(roc_auc_score(labels, filled)), auc, n),
        _Scored(float(average_precision_score(labels, filled)), ap, n),
    )


def _reaction_scores(
    prediction: ReactionPrediction,
    weights: np.ndarray,
    engaged: np.ndarray,
    real_action: np.ndarray,
    with_reply: bool,
    with_action: bool,
) -> dict[str, _Scored]:
    p = np.asarray(prediction.p_engage, dtype=float)
    scores = dict(zip(("roc_auc", "pr_auc"), _ranking_pair(weights, engaged, p, ""), strict=True))
    squared = (p - engaged) ** 2
    scores["brier"] = _Scored(float(brier_score_loss(engaged, p)), weighted_mean(weights, squared), len(p))
    if with_reply:
        replied = real_action == "reply"
        scores["reply_roc_auc"], _ = _ranking_pair(
            weights, replied, prediction.p_reply, "no reply probabilities"
        )
    if with_action:
        predicted = (
            np.full(len(p), "ignore", dtype=object) if prediction.action is None else prediction.action
        )
        correct = (np.asarray(predicted) == real_action)[engaged].astype(float)
        samples = weighted_mean(weights[:, engaged], correct)
        if not engaged.any():
            scores["action_accuracy"] = _Scored(None, samples, 0, "no real engagers")
        elif prediction.action is None:
            scores["action_accuracy"] = _Scored(None, samples, len(correct), "no actions predicted")
        else:
            scores["action_accuracy"] = _Scored(float(correct.mean()), samples, len(correct))
    return scores


REACTION_DIRECTIONS = {
    "roc_auc": True,
    "pr_auc": True,
    "brier": False,
    "reply_roc_auc": True,
    "action_accuracy": True,
}


def score_reactions(
    case_ids: Sequence,
    real_engaged: Sequence[bool],
    real_action: Sequence[str],
    predictions: Mapping[str, ReactionPrediction],
    *,
    references: Collection[str],
    seed: int = 0,
    resamples: int = 1000,
) -> Table:
    """Who engaged and how, one row per (case post, persona) pair, against the references.

    ``everyone_ignores`` is added to the references when the caller left it out.
    """
    engaged = np.asarray(real_engaged, dtype=bool)
    action = np.asarray(real_action, dtype=object)
    predictions = dict(predictions)
    references = [r for r in references if r != EVERYONE_IGNORES]
    if EVERYONE_IGNORES not in predictions:
        n = len(engaged)
        predictions[EVERYONE_IGNORES] = ReactionPrediction(np.zeros(n), np.zeros(n), np.full(n, "ignore"))
    references = [EVERYONE_IGNORES, *references]
    unknown = [r for r in references if r not in predictions]
    if unknown:
        raise ValueError(f"references without predictions: {unknown}")
    with_reply = any(p.p_reply is not None for n, p in predictions.items() if n not in references)
    with_action = any(p.action is not None for n, p in predictions.items() if n not in references)
    metrics = tuple(
        m
        for m in REACTION_DIRECTIONS
        if (m != "reply_roc_auc" or with_reply) and (m != "action_accuracy" or with_action)
    )
    weights = case_weights(case_ids, resamples, seed)
    scores = {
        name: _reaction_scores(prediction, weights, engaged, action, with_reply, with_action)
        for name, prediction in predictions.items()
    }
    degenerate = [n for n, p in predictions.items() if n not in references and np.ptp(p.p_engage) == 0]
    n_cases = len(np.unique(np.asarray(case_ids)))
    warnings = [
        Warning(
            "degenerate",
            f"{name} predicts the same engagement probability for every pair: it ranks nobody, "
            "its AUC and PR AUC are undefined and it beats nothing",
        )
        for name in degenerate
    ]
    if n_cases < MIN_CASES or engaged.sum() < MIN_POSITIVES:
        warnings.insert(
            0,
            Warning(
                "small_n",
                f"{n_cases} cases and {int(engaged.sum())} real engagements (wanted at least {MIN_CASES} "
                f"and {MIN_POSITIVES}): the intervals are wide and may be unreliable",
            ),
        )
    judged = _Judged(scores, REACTION_DIRECTIONS, references, frozenset(degenerate))
    return Table("Who engages", metrics, _rows(judged), n_cases, tuple(warnings))


def _engagement_scores(
    actual: np.ndarray, predicted: np.ndarray, index: np.ndarray
) -> tuple[_Scored, _Scored]:
    """MAE and Spearman on log1p counts."""
    log_a, log_p = np.log1p(actual), np.log1p(predicted)
    error = np.abs(log_a - log_p)
    n = len(log_a)
    mae = _Scored(float(error.mean()), error[index].mean(axis=1), n)
    if np.ptp(log_p) == 0:
        return mae, _Scored(None, np.zeros(len(index)), n, "constant predictions rank nothing (chance 0)")
    if np.ptp(log_a) == 0:
        return mae, _Scored(None, np.full(len(index), np.nan), n, "the real counts never vary")
    rho = float(spearmanr(log_a, log_p).statistic)
    return mae, _Scored(rho, spearman_samples(log_a, log_p, index), n)


def shift_warning(train_log_values: Sequence[float], test_log_values: Sequence[float]) -> Warning | None:
    """A ``shift`` warning when the test period does not look like training.

    Either its mean lies outside the training mean ± 2 SD of the means of consecutive
    50-post training blocks (needs two blocks), or a two-sample Kolmogorov-Smirnov test
    rejects one distribution at p < 0.01.
    """
    train, test = np.asarray(train_log_values, dtype=float), np.asarray(test_log_values, dtype=float)
    reasons = []
    blocks = len(train) // SHIFT_BLOCK
    if blocks >= 2:
        block_means = train[: blocks * SHIFT_BLOCK].reshape(blocks, SHIFT_BLOCK).mean(axis=1)
        spread = SHIFT_SDS * block_means.std(ddof=1)
        if abs(test.mean() - train.mean()) > spread:
            reasons.append(
                f"test mean log1p engagement {test.mean():.2f} is outside the training "
                f"{train.mean():.2f} ± {spread:.2f} (2 SD of {SHIFT_BLOCK}-post block means)"
            )
    p_value = float(ks_2samp(train, test).pvalue)
    if p_value < SHIFT_KS_ALPHA:
        reasons.append(f"Kolmogorov-Smirnov p = {p_value:.2g}")
    if not reasons:
        return None
    return Warning("shift", "the test period differs from training: " + "; ".join(reasons))


def score_engagement(
    actual: Mapping[str, Sequence[float]],
    predictions: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    references: Collection[str],
    train_log_values: Sequence[float] | None = None,
    seed: int = 0,
    resamples: int = 1000,
) -> Table:
    """How much engagement each case post got: MAE and Spearman of log1p counts per metric.

    ``train_log_values`` are log1p of each training post's total engagement (the sum of the
    count metrics); they are compared with the same total of the test posts for ``shift``.
    """
    references = list(references)
    if not references:
        raise ValueError("an engagement score needs at least one reference to be judged against")
    unknown = [r for r in references if r not in predictions]
    if unknown:
        raise ValueError(f"references without predictions: {unknown}")
    counts = {m: np.asarray(v, dtype=float) for m, v in actual.items()}
    n = len(next(iter(counts.values())))
    index = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    directions, scores = {}, {}
    for name, predicted in predictions.items():
        scores[name] = {}
        for metric, real in counts.items():
            if metric not in predicted:
                raise ValueError(f"{name} predicts no {metric}")
            mae, rho = _engagement_scores(real, np.asarray(predicted[metric], dtype=float), index)
            scores[name][f"{metric}_mae"], scores[name][f"{metric}_spearman"] = mae, rho
            directions[f"{metric}_mae"], directions[f"{metric}_spearman"] = False, True
    degenerate = [
        name
        for name, predicted in predictions.items()
        if name not in references and all(np.ptp(np.asarray(predicted[m], dtype=float)) == 0 for m in counts)
    ]
    warnings = [
        Warning("degenerate", f"{name} predicts the same counts for every post: it beats nothing")
        for name in degenerate
    ]
    if n < MIN_CASES:
        warnings.insert(0, Warning("small_n", f"{n} case posts (wanted at least {MIN_CASES})"))
    if train_log_values is not None:
        shift = shift_warning(train_log_values, np.log1p(sum(counts.values())))
        if shift is not None:
            warnings.append(shift)
    judged = _Judged(scores, directions, references, frozenset(degenerate))
    return Table("How much engagement", tuple(directions), _rows(judged), n, tuple(warnings))


def _bin_counts(texts: Sequence[str]) -> np.ndarray:
    return np.asarray(five_bins(texts)) * len(texts) if texts else np.zeros(len(FIVE_BIN_EDGES) - 1)


def _jaccard(a: Collection[str], b: Collection[str]) -> float | None:
    union = set(a) | set(b)
    return len(set(a) & set(b)) / len(union) if union else None


def _pooled(texts_by_case: Sequence[Sequence[str]], multiplicity: np.ndarray) -> list[str]:
    return [
        t
        for texts, times in zip(texts_by_case, multiplicity, strict=True)
        for t in texts
        for _ in range(times)
    ]


def _text_scores(
    real_by_case: Sequence[Sequence[str]],
    simulated_by_case: Sequence[Sequence[tuple[str, str]]],
    draws: np.ndarray,
) -> dict[str, _Scored]:
    real_texts = [t for texts in real_by_case for t in texts]
    sim_texts = [t for pairs in simulated_by_case for t, _ in pairs]
    n = len(sim_texts)
    copied = np.array(
        [sum(copies(t, source) for t, source in pairs) for pairs in simulated_by_case], dtype=float
    )
    written = np.array([len(pairs) for pairs in simulated_by_case], dtype=float)
    if not sim_texts:
        empty = np.full(len(draws), np.nan)
        return {
            m: _Scored(None, empty, 0, "no simulated texts")
            for m in ("tone_js", "theme_overlap", "copy_share")
        }
    with np.errstate(invalid="ignore", divide="ignore"):
        copy_samples = (draws @ copied) / (draws @ written)
    copy_share = _Scored(float(copied.sum() / written.sum()), copy_samples, n)
    if not real_texts:
        empty = np.full(len(draws), np.nan)
        return {
            "tone_js": _Scored(None, empty, n, "no real texts"),
            "theme_overlap": _Scored(None, empty, n, "no real texts"),
            "copy_share": copy_share,
        }
    real_bins = np.array([_bin_counts(texts) for texts in real_by_case])
    sim_bins = np.array([_bin_counts([t for t, _ in pairs]) for pairs in simulated_by_case])
    with np.errstate(invalid="ignore", divide="ignore"):
        tone_samples = jensenshannon(draws @ real_bins, draws @ sim_bins, axis=1, base=2) ** 2
    tone = _Scored(js_divergence(five_bins(real_texts), five_bins(sim_texts)), tone_samples, n)
    sim_by_case = [[t for t, _ in pairs] for pairs in simulated_by_case]
    theme_samples = np.array(
        [
            _jaccard(
                top_terms(_pooled(real_by_case, draw), THEME_TERMS),
                top_terms(_pooled(sim_by_case, draw), THEME_TERMS),
            )
            for draw in draws[:THEME_RESAMPLES]
        ],
        dtype=float,  # None (no content words) becomes NaN
    )
    # The resamples past THEME_RESAMPLES are NaN: intervals and paired differences skip them.
    theme_samples = np.pad(theme_samples, (0, len(draws) - len(theme_samples)), constant_values=np.nan)
    overlap = _jaccard(top_terms(real_texts, THEME_TERMS), top_terms(sim_texts, THEME_TERMS))
    theme = _Scored(overlap, theme_samples, n, "" if overlap is not None else "no content words")
    return {"tone_js": tone, "theme_overlap": theme, "copy_share": copy_share}


TEXT_DIRECTIONS = {"tone_js": False, "theme_overlap": True, "copy_share": False}


def score_texts(
    real: Mapping[object, Sequence[str]],
    simulated: Mapping[str, Mapping[object, Sequence[tuple[str, str]]]],
    *,
    seed: int = 0,
    resamples: int = 1000,
) -> Table:
    """What was said: tone, themes and copying of each policy's texts beside the real ones.

    ``simulated`` maps a policy to case -> [(text, the source post it answers)]. The real
    texts are the reference row ("real": tone 0, overlap 1 by definition); there is no
    predictor to beat here, so no policy "beats" anything and the warnings carry the verdict.
    """
    cases = list(dict.fromkeys([*real, *(c for by_case in simulated.values() for c in by_case)]))
    draws = np.random.default_rng(seed).multinomial(
        len(cases), np.full(len(cases), 1 / len(cases)), size=resamples
    )
    real_by_case = [list(real.get(c, ())) for c in cases]
    n_real = sum(len(texts) for texts in real_by_case)
    ideal = np.zeros(resamples)
    scores: dict[str, Mapping[str, _Scored]] = {
        REAL: {
            "tone_js": _Scored(0.0 if n_real else None, ideal, n_real, "the real texts themselves"),
            "theme_overlap": _Scored(1.0 if n_real else None, ideal + 1, n_real, "the real texts themselves"),
            "copy_share": _Scored(None, ideal, n_real, "real texts come without their source post"),
        }
    }
    warnings = []
    for name, by_case in simulated.items():
        scored = _text_scores(real_by_case, [list(by_case.get(c, ())) for c in cases], draws)
        scores[name] = scored
        n_sim = scored["copy_share"].n
        if min(n_real, n_sim) < MIN_TEXTS:
            warnings.append(
                Warning(
                    "small_n",
                    f"{name}: {n_sim} simulated and {n_real} real texts (wanted at least {MIN_TEXTS} "
                    "on each side): tone and theme scores are mostly noise",
                )
            )
        share = scored["copy_share"].value
        if share is not None and share > COPY_WARN_SHARE:
            warnings.append(
                Warning("copying", f"{name}: {share:.0%} of simulated texts copy their source post")
            )
    judged = _Judged(scores, TEXT_DIRECTIONS, [REAL], frozenset(simulated))
    return Table("What was said", tuple(TEXT_DIRECTIONS), _rows(judged), len(cases), tuple(warnings))
