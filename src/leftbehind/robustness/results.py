"""Uncertainty analysis of a left-behind list: per-area robustness and a summary, cached.

Results are looked up, in order, in the store table ``robustness_results`` (written by the build
stage :func:`leftbehind.robustness.stage.build_robustness` for the defaults), then in a Parquet
cache under ``settings.cache_dir / "robustness"`` keyed by (edition, settings hash, seed, store
fingerprint), and otherwise computed and written to that cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from leftbehind.errors import UnknownName
from leftbehind.i18n import N_, format_number
from leftbehind.i18n import gettext as _
from leftbehind.robustness.choices import ChoiceSet, check_edition, default_choices
from leftbehind.robustness.engine import Simulation, row_quantiles, simulate
from leftbehind.robustness.inputs import EditionInputs, load_inputs
from leftbehind.robustness.sampling import check_draws, check_seed, monte_carlo

ENGINE_VERSION = "3"
DEFAULT_DRAWS = 1000
DEFAULT_SEED = 2023
RESULTS_TABLE = "robustness_results"
SUMMARY_TABLE = "robustness_summary"

CLASSES = ("robust", "likely", "borderline", "unlikely")
CLASS_RULES = {
    "robust": "left behind in at least 90% of plausible lists",
    "likely": "left behind in 50% to 90%",
    "borderline": "left behind in 10% to 50%",
    "unlikely": "left behind in under 10%",
}

AREA_COLUMNS = [
    "code",
    "name",
    "nominal_left_behind",
    "published_left_behind",
    "p_left_behind",
    "robustness_class",
    "cni_rank_nominal",
    "cni_rank_median",
    "cni_rank_p05",
    "cni_rank_p95",
    "imd_rank_nominal",
    "imd_rank_median",
    "imd_rank_p05",
    "imd_rank_p95",
]


def classify(p: np.ndarray | pd.Series) -> np.ndarray:
    """robust (p >= 0.9), likely (0.5-0.9), borderline (0.1-0.5), unlikely (< 0.1)."""
    p = np.asarray(p, dtype=np.float64)
    return np.select(
        [p >= 0.9, p >= 0.5, p >= 0.1], ["robust", "likely", "borderline"], "unlikely"
    ).astype(object)


def settings_hash(edition: str, draws: int, choices: ChoiceSet) -> str:
    """A short hash of everything that determines the result apart from the seed and data."""
    payload = {
        "edition": edition,
        "draws": draws,
        "choices": choices.spec(),
        "engine": ENGINE_VERSION,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class RobustnessResult:
    edition: str
    draws: int
    seed: int
    settings_hash: str
    areas: pd.DataFrame
    summary: dict[str, Any]


def summarise(
    inputs: EditionInputs,
    choices: ChoiceSet,
    sim: Simulation,
    seed: int,
    top: int = 10,
) -> RobustnessResult:
    """Per-area table and the summary of a simulation that streamed its ranks into
    histograms (quantiles within ``RankHistogram.error_bound`` ranks) or kept them (exact)."""
    draws = sim.draws
    p = sim.hits / draws
    qs = (0.5, 0.05, 0.95)
    if sim.cni_hist is not None and sim.imd_hist is not None:
        cni_q = sim.cni_hist.quantiles(qs)
        imd_q = sim.imd_hist.quantiles(qs)
    else:
        assert sim.cni_ranks is not None and sim.imd_ranks is not None
        cni_q = row_quantiles(sim.cni_ranks, qs)
        imd_q = row_quantiles(sim.imd_ranks, qs)
    imd_q[inputs.imd_missing] = np.nan
    imd_nominal = sim.nominal.imd_rank[0].astype(np.float64)
    imd_nominal[inputs.imd_missing] = np.nan
    nominal_lb = sim.nominal.left_behind[0]
    areas = pd.DataFrame(
        {
            "code": inputs.codes,
            "name": inputs.names,
            "nominal_left_behind": nominal_lb,
            "published_left_behind": inputs.published,
            "p_left_behind": p,
            "robustness_class": classify(p),
            "cni_rank_nominal": sim.nominal.cni_rank[0].astype(np.int64),
            "cni_rank_median": cni_q[:, 0],
            "cni_rank_p05": cni_q[:, 1],
            "cni_rank_p95": cni_q[:, 2],
            "imd_rank_nominal": imd_nominal,
            "imd_rank_median": imd_q[:, 0],
            "imd_rank_p05": imd_q[:, 1],
            "imd_rank_p95": imd_q[:, 2],
        }
    )
    areas["robustness_class"] = areas["robustness_class"].astype(str)
    shash = settings_hash(inputs.edition, draws, choices)

    def class_counts(mask: np.ndarray) -> dict[str, int]:
        counts = areas.loc[mask, "robustness_class"].value_counts()
        return {c: int(counts.get(c, 0)) for c in CLASSES}

    added = areas[~areas["nominal_left_behind"] & (areas["p_left_behind"] > 0)]
    added = added.sort_values(["p_left_behind", "code"], ascending=[False, True]).head(top)
    dropped = (
        areas[areas["nominal_left_behind"]]
        .sort_values(["p_left_behind", "code"], ascending=[True, True])
        .head(top)
    )
    count = sim.count
    summary: dict[str, Any] = {
        "edition": inputs.edition,
        "draws": draws,
        "seed": seed,
        "settings_hash": shash,
        "areas": inputs.n_areas,
        "nominal_count": int(nominal_lb.sum()),
        "published_count": int(inputs.published.sum()),
        "nominal_and_published": int((nominal_lb & inputs.published).sum()),
        "expected_count": float(count.mean()),
        "count_p05": float(np.quantile(count, 0.05, method="inverted_cdf")),
        "count_p95": float(np.quantile(count, 0.95, method="inverted_cdf")),
        "count_min": int(count.min()),
        "count_max": int(count.max()),
        "ever_left_behind": int((sim.hits > 0).sum()),
        "classes": class_counts(np.ones(len(areas), dtype=bool)),
        "classes_of_nominal": class_counts(nominal_lb),
        "classes_of_published": class_counts(inputs.published),
        "nominal_robust": int((nominal_lb & (p >= 0.9)).sum()),
        "mean_rank_shift": {
            "cni": float(sim.cni_shift.mean()),
            "imd": float(sim.imd_shift.mean()),
            "combined": float(sim.rank_shift.mean()),
        },
        "most_often_added": _rows(added),
        "least_robust_nominal": _rows(dropped),
        "choices": choices.spec(),
    }
    return RobustnessResult(inputs.edition, draws, seed, shash, areas, summary)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "name": r.name,
            "p_left_behind": round(float(r.p_left_behind), 4),
            "cni_rank_nominal": int(r.cni_rank_nominal),
            "imd_rank_nominal": None if np.isnan(r.imd_rank_nominal) else int(r.imd_rank_nominal),
        }
        for r in frame.itertuples()
    ]


def compute(
    inputs: EditionInputs,
    choices: ChoiceSet | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    *,
    workers: int | None = None,
) -> RobustnessResult:
    """Run the uncertainty analysis (no caching)."""
    draws, seed = check_draws(draws), check_seed(seed)
    choices = choices or default_choices(inputs.edition)
    if choices.edition != inputs.edition:
        raise UnknownName(f"choices are for {choices.edition}, not {inputs.edition}")
    unit = monte_carlo(choices, draws, seed)
    sim = simulate(inputs, choices, unit, histograms=True, workers=workers)
    return summarise(inputs, choices, sim, seed)


# --- caching ---------------------------------------------------------------------------------


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def store_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A hash of the store's build manifest (empty store -> 'unbuilt')."""
    if not _table_exists(con, "build_manifest"):
        return "unbuilt"
    rows = con.execute("SELECT * FROM build_manifest ORDER BY ALL").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def from_store(
    con: duckdb.DuckDBPyConnection, edition: str, shash: str, seed: int
) -> RobustnessResult | None:
    if not (_table_exists(con, RESULTS_TABLE) and _table_exists(con, SUMMARY_TABLE)):
        return None
    key = [edition, shash, seed]
    row = con.execute(
        f"SELECT summary FROM {SUMMARY_TABLE} WHERE edition = ? AND settings_hash = ? AND seed = ?",
        key,
    ).fetchone()
    if row is None:
        return None
    areas = con.execute(
        f"SELECT {', '.join(AREA_COLUMNS)} FROM {RESULTS_TABLE} WHERE edition = ? "
        "AND settings_hash = ? AND seed = ? ORDER BY code",
        key,
    ).df()
    summary = json.loads(row[0])
    return RobustnessResult(edition, int(summary["draws"]), seed, shash, _tidy(areas), summary)


def _tidy(areas: pd.DataFrame) -> pd.DataFrame:
    areas = areas.copy()
    for col in ("code", "name", "robustness_class"):
        areas[col] = areas[col].astype(str)
    for col in ("nominal_left_behind", "published_left_behind"):
        areas[col] = areas[col].astype(bool)
    for col in AREA_COLUMNS[6:]:
        areas[col] = (
            areas[col].astype(np.float64)
            if col != "cni_rank_nominal"
            else (areas[col].astype(np.int64))
        )
    return areas.reset_index(drop=True)


def cache_paths(cache_dir: Path, edition: str, shash: str, seed: int, fp: str) -> tuple[Path, Path]:
    stem = cache_dir / "robustness" / f"{edition}-{shash}-{seed}-{fp}"
    return stem.with_suffix(".parquet"), stem.with_suffix(".json")


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_cache(result: RobustnessResult, parquet: Path, summary: Path) -> None:
    _atomic_write(parquet, lambda tmp: result.areas.to_parquet(tmp, index=False))

    def dump(tmp: str) -> None:
        Path(tmp).write_text(json.dumps(result.summary, indent=1), encoding="utf-8")

    _atomic_write(summary, dump)


def stored_result(con: duckdb.DuckDBPyConnection, edition: str) -> RobustnessResult | None:
    """The result the build stored for ``edition`` at the default settings, or ``None`` (for
    editions without an analysis, or a store without results). Never computes."""
    try:
        check_edition(edition)
    except UnknownName:
        return None
    shash = settings_hash(edition, DEFAULT_DRAWS, default_choices(edition))
    return from_store(con, edition, shash, DEFAULT_SEED)


def run_robustness(
    con: duckdb.DuckDBPyConnection,
    edition: str,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    choices: ChoiceSet | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> RobustnessResult:
    """Robustness of ``edition``'s list: from the store, the Parquet cache, or computed."""
    check_edition(edition)
    draws, seed = check_draws(draws), check_seed(seed)
    choices = choices or default_choices(edition)
    shash = settings_hash(edition, draws, choices)
    if use_cache:
        stored = from_store(con, edition, shash, seed)
        if stored is not None:
            return stored
    if cache_dir is None:
        from leftbehind.settings import get_settings

        cache_dir = get_settings().cache_dir
    parquet, summary_path = cache_paths(cache_dir, edition, shash, seed, store_fingerprint(con))
    if use_cache and parquet.exists() and summary_path.exists():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        return RobustnessResult(
            edition, draws, seed, shash, _tidy(pd.read_parquet(parquet)), summary
        )
    result = compute(load_inputs(con, edition), choices, draws, seed)
    if use_cache:
        write_cache(result, parquet, summary_path)
    return result


# --- one area, in plain words -----------------------------------------------------------------


#: The class of an area's status in words (:func:`classify`'s labels).
CLASS_WORDS = {
    "robust": N_("robust"),
    "likely": N_("likely"),
    "borderline": N_("borderline"),
    "unlikely": N_("unlikely"),
}
#: How sure an area's status is: (on the headline list, not on it). {share}: '97 of 100'.
SURE_SENTENCES = (
    N_(
        "Left behind in {share} plausible ways of measuring ({cls}); on the headline list. "
        "Based on {draws} variations of weights, thresholds and methods."
    ),
    N_(
        "Left behind in {share} plausible ways of measuring ({cls}); not on the headline list. "
        "Based on {draws} variations of weights, thresholds and methods."
    ),
)
#: The 5-95% rank intervals: (both ranks, community need only, deprivation only).
INTERVAL_SENTENCES = (
    N_(
        "In 9 of 10 of those ways, its community need rank is between {cni_low} and {cni_high} "
        "and its deprivation rank is between {imd_low} and {imd_high} (1 = highest)."
    ),
    N_(
        "In 9 of 10 of those ways, its community need rank is between {cni_low} and "
        "{cni_high} (1 = highest)."
    ),
    N_(
        "In 9 of 10 of those ways, its deprivation rank is between {imd_low} and {imd_high} "
        "(1 = highest)."
    ),
)


def sentence(p: float, nominal: bool, draws: int) -> str:
    """'Left behind in 97 of 100 plausible ways of measuring (robust).' (in the current
    language)"""
    k = round(p * 100)
    cls = classify([p])[0]
    share = _("fewer than 1 in 100") if k == 0 and p > 0 else _("{k} of 100").format(k=k)
    return _(SURE_SENTENCES[0 if nominal else 1]).format(
        share=share, cls=_(CLASS_WORDS[cls]), draws=format_number(draws)
    )


def robustness_for_area(
    con: duckdb.DuckDBPyConnection,
    edition: str,
    code: str,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Class, probability, rank intervals and a plain-words sentence for one area."""
    result = run_robustness(con, edition, draws, seed, cache_dir=cache_dir)
    match = result.areas[result.areas["code"] == code]
    if match.empty:
        example = ", ".join(result.areas["code"].head(3))
        raise UnknownName(
            f"unknown area code {code!r} for edition {edition} "
            f"({len(result.areas):,} areas, e.g. {example})"
        )
    return area_record(edition, code, match.iloc[0], result.draws, result.seed)


class AreaRobustness(Mapping[str, dict[str, Any]]):
    """Area code -> the :func:`robustness_for_area` dict of one result, without a query per
    area: the result's rows are indexed once and each dict is made on lookup."""

    def __init__(self, result: RobustnessResult) -> None:
        self.edition, self.draws, self.seed = result.edition, result.draws, result.seed
        rows = result.areas.to_dict(orient="records")
        self._rows = {}
        for row in rows:  # the first row of a code wins, as in robustness_for_area
            self._rows.setdefault(str(row["code"]), row)

    def __getitem__(self, code: str) -> dict[str, Any]:
        return area_record(self.edition, code, self._rows[code], self.draws, self.seed)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def area_record(
    edition: str, code: str, row: Mapping[str, Any], draws: int, seed: int
) -> dict[str, Any]:
    """The plain-words robustness of one area from its row of a result's ``areas``."""

    def interval(prefix: str) -> dict[str, float | None]:
        return {
            k: (None if pd.isna(row[f"{prefix}_{k}"]) else float(row[f"{prefix}_{k}"]))
            for k in ("nominal", "median", "p05", "p95")
        }

    p = float(row["p_left_behind"])
    cni, imd = interval("cni_rank"), interval("imd_rank")
    return {
        "edition": edition,
        "code": code,
        "name": row["name"],
        "robustness_class": row["robustness_class"],
        "class_rule": CLASS_RULES[row["robustness_class"]],
        "p_left_behind": p,
        "nominal_left_behind": bool(row["nominal_left_behind"]),
        "published_left_behind": bool(row["published_left_behind"]),
        "cni_rank": cni,
        "imd_rank": imd,
        "draws": draws,
        "seed": seed,
        "sentence": sentence(p, bool(row["nominal_left_behind"]), draws),
        "interval_sentence": interval_sentence(cni, imd),
    }


def interval_sentence(cni: dict[str, float | None], imd: dict[str, float | None]) -> str:
    """The 5-95% rank intervals in plain words (rank 1 = most need / most deprived).

    >>> text = interval_sentence({"p05": 518.0, "p95": 1058.0}, {"p05": 461.0, "p95": 1337.0})
    >>> text.startswith("In 9 of 10 of those ways, its community need rank is between 518 and")
    True
    >>> text.endswith("its deprivation rank is between 461 and 1,337 (1 = highest).")
    True
    """
    has_cni = cni.get("p05") is not None and cni.get("p95") is not None
    has_imd = imd.get("p05") is not None and imd.get("p95") is not None
    if not (has_cni or has_imd):
        return ""
    template = INTERVAL_SENTENCES[0 if has_cni and has_imd else 1 if has_cni else 2]
    return _(template).format(
        cni_low=format_number(cni["p05"]) if has_cni else "",
        cni_high=format_number(cni["p95"]) if has_cni else "",
        imd_low=format_number(imd["p05"]) if has_imd else "",
        imd_high=format_number(imd["p95"]) if has_imd else "",
    )


def area_sentences(facts: dict[str, Any]) -> str:
    """The two sentences for an area from the facts :func:`area_facts` keeps (the stored view),
    in the current language."""
    first = sentence(facts["p"], facts["nominal"], facts["draws"])
    second = interval_sentence(facts["cni"], facts["imd"])
    return " ".join(t for t in (first, second) if t)
