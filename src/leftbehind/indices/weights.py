"""Index definitions (domains, rank columns, weights, population weights) declared as data.

The definitions live in ``indices.toml`` next to this module. The English Indices of
Deprivation 2019 Technical Report (MHCLG, 2019), section 3.9, explains the weights:

    "The domains were combined using the following weights: Income (22.5%), Employment
     (22.5%), Education, Skills and Training (13.5%), Health Deprivation and Disability (13.5%),
     Crime (9.3%), Barriers to Housing and Services (9.3%), Living Environment (9.3%)."

The 2025 Indices keep the same seven domains and weights.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leftbehind.errors import UnknownName

# The published weights are rounded: 22.5 + 22.5 + 13.5 + 13.5 + 3 x 9.3 = 99.9%.
WEIGHT_TOLERANCE = 0.002


class Domain(BaseModel):
    """One domain of a composite index: its rank column (1 = most deprived) and weight."""

    model_config = ConfigDict(frozen=True)

    column: str
    weight: float = Field(gt=0, le=1)


class IndexSpec(BaseModel):
    """A composite index computed from domain ranks of small areas held in the store."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    table: str
    code: str
    area_type: str
    published_rank: str | None = None
    published_score: str | None = None
    population_table: str
    population_code: str
    population_column: str
    population_note: str = ""
    domains: dict[str, Domain]
    geographies: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> IndexSpec:
        total = sum(d.weight for d in self.domains.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"domain weights of {self.name} sum to {total}, not 1")
        return self

    def geography_sql(self, to: str) -> str:
        """SQL mapping each small area to the ``to`` area it best fits; unknown -> UnknownName."""
        if to not in self.geographies:
            raise UnknownName(
                f"unknown geography {to!r} for {self.name}; choose one of: "
                f"{', '.join(sorted(self.geographies))}"
            )
        return self.geographies[to]

    @property
    def weights(self) -> dict[str, float]:
        """Domain name -> weight."""
        return {name: d.weight for name, d in self.domains.items()}

    @property
    def rank_columns(self) -> dict[str, str]:
        """Domain name -> rank column in ``table``."""
        return {name: d.column for name, d in self.domains.items()}


@cache
def load_indices() -> dict[str, IndexSpec]:
    """Read ``indices.toml`` (packaged with this module) into validated specs."""
    text = resources.files("leftbehind.indices").joinpath("indices.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return {name: IndexSpec(name=name, **body) for name, body in raw.items()}


def index_names() -> list[str]:
    return sorted(load_indices())


def get_index(name: str) -> IndexSpec:
    """The spec of index ``name``; an unknown name lists the valid ones."""
    indices = load_indices()
    if name not in indices:
        raise UnknownName(f"unknown index {name!r}; choose one of: {', '.join(index_names())}")
    return indices[name]
