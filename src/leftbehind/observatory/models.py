"""Response models: the documents the API serves and ``--json`` prints, declared once.

The build validates every prepared document against its model, and the API documents its
responses with them (``/openapi.json``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from leftbehind.groups import Group


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditionInfo(_Model):
    id: str = Field(description="Edition id, e.g. england-2019-ward")
    label: str
    geography: str = Field(description="Area type (see the store's `areas` table)")
    description: str
    nation: str
    nation_wording: str = Field(description="The nation as a possessive, e.g. England's")
    index_name: str = Field(description="The nation's deprivation index, named in sentences")
    definition: str = Field(description="The nation's 'left behind' rule, in one sentence")
    area_word: str = Field(description="What a resident calls one area, e.g. 'ward'")
    area_words: str = Field(description="The plural, e.g. 'wards'")
    has_published_list: bool = Field(description="Whether a published list is checked against")
    areas: int
    bounds: list[float] | None = Field(None, description="[west, south, east, north], WGS84")
    tile_max_zoom: int | None = Field(
        None, description="Deepest zoom of the vector tiles at /tiles/{geography}/{z}/{x}/{y}.mvt"
    )
    tile_group_key: str | None = Field(
        None, description="The tile feature property holding the area's group in this edition"
    )
    default: bool | None = Field(None, description="The server's default edition (API only)")


class Headline(_Model):
    areas: int
    left_behind: int
    other_deprived: int
    population: int | None
    left_behind_population: int | None
    left_behind_population_share: float | None = Field(description="Percent of the population")
    local_authorities: int
    local_authorities_with_left_behind: int
    published_left_behind: int


class GroupCount(_Model):
    count: int
    population: int | None


class GroupRow(BaseModel):
    """Counts for one region, rural-urban class or local authority ('Unknown' if missing)."""

    model_config = ConfigDict(extra="allow")
    areas: int
    left_behind: int
    other_deprived: int
    population: int
    left_behind_population: int
    left_behind_share: float = Field(description="Percent of the areas that are left behind")


class Summary(_Model):
    """``leftbehind summary --json`` and ``GET /api/summary``."""

    edition: str
    cni_threshold: float
    imd_threshold: float
    headline: Headline
    groups: dict[str, GroupCount] = Field(description="left_behind, other_deprived, rest, nation")
    by_region: list[GroupRow]
    by_rural_urban: list[GroupRow]
    by_local_authority: list[GroupRow]


class AreaRecord(_Model):
    """An area under the identification contract."""

    code: str
    name: str | None
    left_behind: bool
    published_left_behind: bool
    group: Group
    cni_rank: int | None
    imd_rank: int | None
    imd_score: float | None
    population: int | None
    local_authority_code: str | None
    local_authority: str | None
    region_code: str | None
    region: str | None
    rural_urban: str | None


class LocalAuthority(_Model):
    code: str
    name: str
    region_code: str | None
    region: str | None
    areas: int
    left_behind: int
    other_deprived: int
    population: int
    left_behind_population: int


class SearchItem(BaseModel):
    code: str
    name: str
    context: str
    kind: str = Field(description="'area', 'la' (local authority) or 'ward' (a ward of today)")
    score: float
    edition: str | None = Field(None, description="edition of the item's page")
    url: str | None = None
