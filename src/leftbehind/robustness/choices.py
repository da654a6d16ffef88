"""The uncertain choices behind a left-behind list, declared as data.

Each choice has a name, a distribution and a range, and maps columns of a sample from the unit
hypercube to its values, so one sample matrix drives both the uncertainty analysis (plain Monte
Carlo) and the sensitivity analysis (Saltelli A/B/AB_i matrices). A vector of weights is one
choice (one Sobol factor) occupying one column per component.

The JRC/OECD Handbook on Constructing Composite Indicators (2008), section 1.7, lists the
choices to vary: weights, normalisation, aggregation, the data; COINr's ``get_sensitivity``
declares them the same way (a name, a distribution, its parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from scipy import special

from leftbehind.editions import EDITIONS, Edition
from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.indices.weights import get_index

WeightDistribution = Literal["perturb", "dirichlet"]
WEIGHT_DISTRIBUTIONS: tuple[str, ...] = get_args(WeightDistribution)

# CNI: "the Community Needs Index score is the sum of the three exponentially transformed domain
# ranks" (OCSI, 2019): equal weights.
CNI_DOMAINS = ("civic_assets", "connectedness", "engaged_community")
CNI_NOMINAL = (1 / 3, 1 / 3, 1 / 3)

# Ward-level IMD summary measures (MHCLG summary measures for larger areas; see
# ``leftbehind.indices.aggregate``). The nominal one reproduces OCSI's published ward list best
# (population-weighted average score: 219 of its 225 wards, against 200-207 for the others).
AGGREGATIONS = ("average_score", "average_rank", "extent", "proportion")
POPULATION_YEARS = ("2017", "2019")

DEFAULT_THRESHOLD = 0.10
DEFAULT_THRESHOLD_RANGE = (0.08, 0.12)
DEFAULT_WEIGHT_SPREAD = 0.25
DEFAULT_CONCENTRATION = 100.0


@dataclass(frozen=True)
class WeightsChoice:
    """A vector of weights around its nominal value; renormalised to sum to one.

    ``perturb``: each weight times ``1 + spread * U(-1, 1)``, then renormalised.
    ``dirichlet``: Dirichlet with mean the nominal weights and ``concentration`` (sum of the
    parameters; larger is tighter), drawn through the gamma inverse CDF of the unit columns.
    """

    name: str
    components: tuple[str, ...]
    nominal: tuple[float, ...]
    distribution: WeightDistribution = "perturb"
    spread: float = DEFAULT_WEIGHT_SPREAD
    concentration: float = DEFAULT_CONCENTRATION
    description: str = ""
    kind: str = field(default="weights", init=False)

    def __post_init__(self) -> None:
        if len(self.components) != len(self.nominal) or not self.components:
            raise InvalidInput(f"{self.name}: one nominal weight per component is needed")
        if any(w <= 0 for w in self.nominal):
            raise InvalidInput(f"{self.name}: nominal weights must be positive")
        if self.distribution not in ("perturb", "dirichlet"):
            raise InvalidInput(
                f"{self.name}: unknown weight distribution {self.distribution!r}; "
                "choose perturb or dirichlet"
            )
        if not 0 <= self.spread < 1:
            raise InvalidInput(
                f"{self.name}: weight spread must be in [0, 1), got {self.spread}; "
                "e.g. 0.25 for +/-25%"
            )
        if self.concentration <= 0:
            raise InvalidInput(f"{self.name}: Dirichlet concentration must be positive")

    @property
    def dims(self) -> int:
        return len(self.components)

    @property
    def varies(self) -> bool:
        return self.distribution == "dirichlet" or self.spread > 0

    def nominal_value(self) -> NDArray[np.float64]:
        w = np.asarray(self.nominal, dtype=np.float64)
        return (w / w.sum())[None, :]

    def from_unit(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """(M, dims) unit samples -> (M, dims) weights summing to one."""
        w0 = self.nominal_value()
        if self.distribution == "perturb":
            w = w0 * (1.0 + self.spread * (2.0 * u - 1.0))
        else:
            alpha = self.concentration * w0
            clipped = np.clip(u, 1e-12, 1 - 1e-12)
            w = special.gammaincinv(np.broadcast_to(alpha, u.shape), clipped)
        return w / w.sum(axis=1, keepdims=True)

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "components": list(self.components),
            "nominal": [round(w, 12) for w in self.nominal],
            "distribution": self.distribution,
        }
        if self.distribution == "perturb":
            out["spread"] = self.spread
        else:
            out["concentration"] = self.concentration
        return out

    def describe(self) -> str:
        if self.distribution == "perturb":
            return f"each weight +/-{self.spread:.0%} (uniform), renormalised"
        return f"Dirichlet around the nominal weights, concentration {self.concentration:g}"

    def fixed(self) -> WeightsChoice:
        return replace(self, distribution="perturb", spread=0.0)


@dataclass(frozen=True)
class UniformChoice:
    """A number drawn uniformly from [low, high]."""

    name: str
    nominal: float
    low: float
    high: float
    lower_bound: float = 0.0
    upper_bound: float = 1.0
    description: str = ""
    kind: str = field(default="uniform", init=False)

    def __post_init__(self) -> None:
        if not (self.lower_bound < self.low <= self.high <= self.upper_bound):
            raise InvalidInput(
                f"{self.name}: invalid range {self.low}:{self.high}; need "
                f"{self.lower_bound} < low <= high <= {self.upper_bound}, e.g. 0.08:0.12"
            )
        if not self.low <= self.nominal <= self.high:
            raise InvalidInput(
                f"{self.name}: range {self.low}:{self.high} must contain the nominal "
                f"value {self.nominal}"
            )

    @property
    def dims(self) -> int:
        return 1

    @property
    def varies(self) -> bool:
        return self.high > self.low

    def nominal_value(self) -> NDArray[np.float64]:
        return np.array([self.nominal], dtype=np.float64)

    def from_unit(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.low + u[:, 0] * (self.high - self.low)

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "nominal": self.nominal,
            "low": self.low,
            "high": self.high,
        }

    def describe(self) -> str:
        return f"uniform {self.low:g} to {self.high:g}"

    def fixed(self) -> UniformChoice:
        return replace(self, low=self.nominal, high=self.nominal)


@dataclass(frozen=True)
class CategoricalChoice:
    """One of several options, equally likely (``options`` order is the code 0..k-1)."""

    name: str
    options: tuple[str, ...]
    nominal: str
    description: str = ""
    kind: str = field(default="categorical", init=False)

    def __post_init__(self) -> None:
        if not self.options:
            raise InvalidInput(f"{self.name}: at least one option is needed")
        if self.nominal not in self.options:
            raise InvalidInput(
                f"{self.name}: nominal {self.nominal!r} is not one of {', '.join(self.options)}"
            )

    @property
    def dims(self) -> int:
        return 1

    @property
    def varies(self) -> bool:
        return len(self.options) > 1

    def nominal_value(self) -> NDArray[np.int64]:
        return np.array([self.options.index(self.nominal)], dtype=np.int64)

    def from_unit(self, u: NDArray[np.float64]) -> NDArray[np.int64]:
        k = len(self.options)
        return np.minimum((u[:, 0] * k).astype(np.int64), k - 1)

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "options": list(self.options),
            "nominal": self.nominal,
        }

    def describe(self) -> str:
        return "one of " + ", ".join(self.options) + " (equally likely)"

    def fixed(self) -> CategoricalChoice:
        return replace(self, options=(self.nominal,))


Choice = WeightsChoice | UniformChoice | CategoricalChoice


@dataclass(frozen=True)
class ChoiceSet:
    """The ordered choices of one analysis; columns of the unit sample follow this order."""

    edition: str
    choices: tuple[Choice, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.choices]

    @property
    def dims(self) -> int:
        return sum(c.dims for c in self.choices)

    def slices(self) -> dict[str, slice]:
        out, start = {}, 0
        for c in self.choices:
            out[c.name] = slice(start, start + c.dims)
            start += c.dims
        return out

    def get(self, name: str) -> Choice:
        for c in self.choices:
            if c.name == name:
                return c
        raise UnknownName(
            f"unknown choice {name!r} for edition {self.edition}; valid choices: "
            f"{', '.join(self.names)}"
        )

    def values(self, unit: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
        """Map an (M, dims) unit sample to each choice's values (M rows)."""
        unit = np.asarray(unit, dtype=np.float64)
        if unit.ndim != 2 or unit.shape[1] != self.dims:
            raise InvalidInput(f"unit sample must have {self.dims} columns, got {unit.shape}")
        return {
            c.name: c.from_unit(unit[:, s])
            for c, s in zip(self.choices, self.slices().values(), strict=True)
        }

    def nominal_values(self) -> dict[str, NDArray[Any]]:
        return {c.name: c.nominal_value() for c in self.choices}

    def spec(self) -> list[dict[str, Any]]:
        return [c.spec() for c in self.choices]

    def with_fixed(self, names: Iterable[str]) -> ChoiceSet:
        """Fix the named choices at their nominal values (unknown names list the valid ones)."""
        names = list(names)
        for name in names:
            self.get(name)
        return ChoiceSet(
            self.edition, tuple(c.fixed() if c.name in names else c for c in self.choices)
        )


#: Editions with an uncertainty analysis (``Edition.robustness`` declared) -> engine IMD index.
EDITION_INDICES = {e.id: e.robustness.imd_index for e in EDITIONS.values() if e.robustness}


def editions() -> list[str]:
    return sorted(EDITION_INDICES)


def check_edition(edition: str) -> str:
    if edition not in EDITION_INDICES:
        raise UnknownName(
            f"robustness analysis is not available for edition {edition!r}; "
            f"choose one of: {', '.join(editions())}"
        )
    return edition


def edition_spec(edition: str) -> Edition:
    """The declared edition ``edition``, which has a robustness analysis (else UnknownName)."""
    return EDITIONS[check_edition(edition)]


def default_choices(
    edition: str,
    *,
    threshold_range: Sequence[float] = DEFAULT_THRESHOLD_RANGE,
    weight_spread: float = DEFAULT_WEIGHT_SPREAD,
    weight_distribution: WeightDistribution = "perturb",
    concentration: float = DEFAULT_CONCENTRATION,
    fixed: Iterable[str] = (),
    aggregations: Sequence[str] | None = None,
) -> ChoiceSet:
    """The uncertain choices of ``edition`` (an edition with a declared ``robustness``; one
    that aggregates LSOAs to larger areas adds the aggregation and population-year choices)."""
    robustness = edition_spec(edition).robustness
    assert robustness is not None
    if weight_distribution not in WEIGHT_DISTRIBUTIONS:
        raise UnknownName(
            f"unknown weight distribution {weight_distribution!r}; "
            f"choose one of: {', '.join(WEIGHT_DISTRIBUTIONS)}"
        )
    if len(threshold_range) != 2:
        raise InvalidInput("threshold range needs two numbers, low:high, e.g. 0.08:0.12")
    low, high = (float(x) for x in threshold_range)
    spec = get_index(robustness.imd_index)
    imd = WeightsChoice(
        "imd_weights",
        tuple(spec.weights),
        tuple(spec.weights.values()),
        weight_distribution,
        weight_spread,
        concentration,
        "weights of the seven IMD domains (nominal: the official 22.5/22.5/13.5/13.5/9.3/9.3/9.3%)",
    )
    cni = WeightsChoice(
        "cni_weights",
        CNI_DOMAINS,
        CNI_NOMINAL,
        weight_distribution,
        weight_spread,
        concentration,
        "weights of the three CNI domains (nominal: equal)",
    )
    choices: list[Choice] = [imd, cni]
    if robustness.ward_lookup is not None:
        options = tuple(aggregations) if aggregations else AGGREGATIONS
        unknown = [a for a in options if a not in AGGREGATIONS]
        if unknown:
            raise UnknownName(
                f"unknown aggregation {unknown[0]!r}; choose from: {', '.join(AGGREGATIONS)}"
            )
        nominal = "average_score" if "average_score" in options else options[0]
        choices.append(
            CategoricalChoice(
                "aggregation",
                options,
                nominal,
                "how LSOA IMD results become a ward IMD (MHCLG summary measures)",
            )
        )
        choices.append(
            CategoricalChoice(
                "population_year",
                POPULATION_YEARS,
                "2017",
                "ONS mid-year LSOA population estimates weighting the aggregation",
            )
        )
    for name, what in (("threshold_cni", "CNI"), ("threshold_imd", "IMD")):
        choices.append(
            UniformChoice(
                name,
                DEFAULT_THRESHOLD,
                low,
                high,
                description=f"share of areas counted as most in need on the {what}",
            )
        )
    return ChoiceSet(edition, tuple(choices)).with_fixed(fixed)


def dummy_choice(name: str = "dummy") -> UniformChoice:
    """A factor the model ignores: its Sobol indices must be zero (a known-answer check)."""
    return UniformChoice(
        name, 0.5, 0.0, 1.0, lower_bound=-1.0, description="ignored by the model (check)"
    )


def with_dummy(choices: ChoiceSet, name: str = "dummy") -> ChoiceSet:
    return ChoiceSet(choices.edition, (*choices.choices, dummy_choice(name)))


def parse_range(text: str) -> tuple[float, float]:
    """``'0.08:0.12'`` -> ``(0.08, 0.12)``; percentages like ``8%:12%`` are accepted."""
    parts = text.replace(" ", "").split(":")
    if len(parts) != 2:
        raise InvalidInput(f"invalid range {text!r}; write low:high, e.g. 0.08:0.12")
    out = []
    for part in parts:
        try:
            value = float(part.rstrip("%")) / (100 if part.endswith("%") else 1)
        except ValueError:
            raise InvalidInput(f"invalid range {text!r}; write low:high, e.g. 0.08:0.12") from None
        out.append(value)
    return out[0], out[1]


def describe_choices(choices: ChoiceSet) -> list[dict[str, str]]:
    """Rows for a methods table: name, distribution, description."""
    return [
        {
            "name": c.name,
            "distribution": c.describe() if c.varies else "fixed at nominal",
            "description": c.description,
        }
        for c in choices.choices
    ]


def summary_of(values: Mapping[str, NDArray[Any]], choices: ChoiceSet) -> dict[str, Any]:
    """Human-readable nominal values (for reports)."""
    out: dict[str, Any] = {}
    for c in choices.choices:
        v = values[c.name]
        if isinstance(c, CategoricalChoice):
            out[c.name] = c.options[int(np.ravel(v)[0])]
        elif isinstance(c, WeightsChoice):
            out[c.name] = dict(zip(c.components, np.ravel(v).round(4).tolist(), strict=True))
        else:
            out[c.name] = float(np.ravel(v)[0])
    return out
