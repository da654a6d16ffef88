"""Identification editions: which indices, geography, thresholds and populations define 'left
behind' areas, declared as data.

OCSI for Local Trust (2019), *Left behind? Understanding communities on the edge*: "'left behind'
areas ... are those wards that are in the most deprived 10% of wards on both the Community Needs
Index and the Index of Multiple Deprivation". Each edition pairs a Community Needs Index (CNI)
release with the same nation's Index of Multiple Deprivation (IMD) at the CNI's geography.

Every edition is a pydantic :class:`Edition`. Its SQL snippets read tables of the evidence store
(see ``docs/architecture.md``) and return the columns named in each field's description; the
engine in :mod:`leftbehind.identify` combines them according to ``imd_method``:

* ``population_weighted_score``: the small-area IMD score is computed by our engine from domain
  ranks (:mod:`leftbehind.indices.imd`), averaged over each area's small areas weighted by
  population, and the areas are ranked on that average (1 = most deprived).
* ``published_rank``: the nation's IMD is published at the edition's geography; its rank is used
  directly.
* ``most_deprived_small_area``: an area meets the IMD criterion when at least one of its small
  areas is among the nation's most deprived (``imd_rank`` is the national rank of its most
  deprived small area, out of the number of small areas). This reproduces OCSI's published
  Welsh and Scottish lists exactly.

Beyond identification, an edition declares everything else that depends on it, so a new
edition is one declaration: the words for its areas (``area_word``, ``area_words``) and nation
(``nation_wording``); whether a published list exists (``published_count`` None: no list,
``has_published_list`` False); and, where the edition has them, its area profiles
(:class:`ProfileSpec`), uncertainty analysis (:class:`RobustnessSpec`) and IMD engine checks
(:class:`ValidationSpec`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leftbehind.errors import UnknownName

ImdMethod = Literal["population_weighted_score", "published_rank", "most_deprived_small_area"]


class LevelSpec(BaseModel):
    """One geography of a ``declared`` profile hierarchy: which areas the small areas make."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(description="area type, e.g. 'msoa11', 'iz11', 'lgd14'")
    sql: str = Field(
        description="SQL returning one row per small area: small (small-area code), code, name, "
        "la_code, la_name (the area and its local authority)"
    )


class ProfileSpec(BaseModel):
    """How :mod:`leftbehind.profiles` builds area profiles for an edition."""

    model_config = ConfigDict(frozen=True)

    framework: str = Field(
        description="the `edition` key of the edition's rows in `profiles/indicators.csv` "
        "(editions with the same inputs share one framework)"
    )
    nine_dimensions: bool = Field(
        True, description="the framework maps indicators to all nine dimensions of the report"
    )
    small_area: str = Field(
        description="area type of the small areas every indicator is held for (e.g. 'lsoa21')"
    )
    imd_table: str = Field(description="store table listing the small areas (the LSOA IMD)")
    imd_code_column: str = Field(description="small-area code column of `imd_table`")
    population_table: str | None = Field(
        description="store table of small-area populations: single-year ages "
        "(`total_population`, `age_0` ...) when `age_mix_table` is None, otherwise totals "
        "(`residents`); None: no population is mirrored, every small area counts once"
    )
    population_source: str = Field(
        "ONS population estimates", description="the population's source, as cited to users"
    )
    population_where: str | None = Field(
        None, description="SQL condition selecting one row per small area (e.g. sex = 'All')"
    )
    age_mix_table: str | None = Field(
        None,
        description="LSOA 2011 single-year-of-age estimates whose age mix, carried to the small "
        "areas through `lookup_lsoa11_lsoa21_ltla22`, splits `population_table`'s totals into "
        "age bands; None when `population_table` has the ages itself",
    )
    hierarchy: Literal["lsoa11-ward17-ltla19", "lsoa21-ward24-ltla24", "declared"] = Field(
        description="how small areas group into wards, local authorities and regions: "
        "'lsoa11-ward17-ltla19' (CNI 2019 wards through lookup_lsoa11_ward17, 2019 districts "
        "and regions), 'lsoa21-ward24-ltla24' (lookup_lsoa21_ward24_ltla24, 2024 districts "
        "and regions) or 'declared' (the `levels` below, and the nation as the one region)"
    )
    levels: tuple[LevelSpec, ...] = Field(
        (), description="the geographies of a 'declared' hierarchy, small areas first"
    )


class RobustnessSpec(BaseModel):
    """What :mod:`leftbehind.robustness` reads for an edition's uncertainty analysis."""

    model_config = ConfigDict(frozen=True)

    imd_index: str = Field(description="engine index id whose domain ranks are re-weighted")
    cni_code_column: str = Field(description="area code column of the edition's `cni_table`")
    cni_name_column: str = Field(description="area name column of the edition's `cni_table`")
    ward_lookup: str | None = Field(
        None,
        description="store table mapping the IMD's small areas to the edition's areas "
        "(small-area code column of the IMD index, `cni_code_column`) when LSOA results are "
        "aggregated to larger areas (adds the aggregation and population-year choices); None "
        "when the edition's areas are the IMD's own small areas",
    )


class ValidationSpec(BaseModel):
    """Checks of our IMD engine shown with the edition's validation (:mod:`leftbehind.validate`)."""

    model_config = ConfigDict(frozen=True)

    imd_index: str = Field(description="engine index id checked against the official ranks")
    local_authorities: str = Field(
        description="local-authority geography whose official IMD summaries are reproduced "
        "(a key of `leftbehind.validate.LOCAL_AUTHORITY_CHECKS`, e.g. 'ltla24')"
    )


class Edition(BaseModel):
    """One declared identification of 'left behind' areas."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    nation: str
    country_code: str
    geography: str = Field(description="area type of the edition (see the `areas` table)")
    cni: str = Field(description="CNI release, e.g. 'Community Needs Index 2019'")
    cni_table: str = Field(description="store table (source id) holding the edition's CNI")
    imd: str = Field(description="IMD release used, e.g. 'English IMD 2019'")
    imd_method: ImdMethod
    imd_index: str | None = Field(None, description="engine index id for computed IMD scores")
    cni_threshold: float = Field(0.1, gt=0, le=1)
    imd_threshold: float = Field(0.1, gt=0, le=1)
    population_year: str
    alternative_small_sql: dict[str, str] = Field(
        default_factory=dict,
        description="for `population_weighted_score`: other defensible populations, label -> "
        "SQL like `small_sql` (small, code, population); validation reports the ranks they "
        "give to every area where our list and the published one differ",
    )
    published_population: int | None = Field(
        None, description="people in the published list's areas, as the report states them"
    )
    published_count: int | None = Field(
        description="number of areas flagged in the published list; None when there is no "
        "published list to validate against (`published_left_behind` is then False everywhere)"
    )
    areas_sql: str = Field(
        description="code, name, cni_rank, published_left_behind, local_authority_code, "
        "local_authority (one row per area of the CNI)"
    )
    imd_sql: str | None = Field(
        None, description="code, imd_rank, imd_score (published at the edition's geography)"
    )
    small_sql: str | None = Field(
        None, description="small, code, small_rank (national, 1 = most deprived), population"
    )
    small_count_sql: str | None = Field(None, description="one value: national small areas")
    population_sql: str | None = Field(None, description="code, population")
    region_sql: str = Field(description="code, region_code, region")
    rural_urban_sql: str | None = Field(None, description="code, rural_urban")
    imd_rank_meaning: str
    imd_score_meaning: str
    area_word: str = Field(
        "area",
        description="what a resident calls one area of the edition's geography, e.g. 'ward'",
    )
    area_words: str = Field("areas", description="plural of `area_word`, e.g. 'wards'")
    index_name: str = Field(
        "",
        description="the deprivation index named in sentences, e.g. 'Welsh Index of "
        "Multiple Deprivation 2019 (WIMD)' (default: `imd`)",
    )
    cni_name: str = Field(
        "", description="the Community Needs Index named in sentences (default: `cni`)"
    )
    small_area_word: str = Field(
        "small area", description="one small area of the IMD, e.g. 'LSOA' or 'data zone'"
    )
    small_area_words: str = Field("small areas", description="plural of `small_area_word`")
    names_sql: str | None = Field(
        None,
        description="code, name_cy (Welsh name or NULL), name_hcl (House of Commons Library "
        "friendly name): extra area names; None: none",
    )
    nation_wording: str = Field(
        "",
        description='possessive of the nation for headings, e.g. "England\'s" in '
        "\"England's 'left behind' areas\" (default: the nation + \"'s\")",
    )
    profile: ProfileSpec | None = Field(
        None, description="area profiles (indicator framework); None: no profiles"
    )
    robustness: RobustnessSpec | None = Field(
        None, description="uncertainty analysis; None: no robustness analysis"
    )
    validation: ValidationSpec | None = Field(
        None, description="IMD engine checks shown with the validation; None: none"
    )
    notes: str = ""

    @model_validator(mode="after")
    def _default_nation_wording(self) -> Edition:
        if not self.nation_wording:
            object.__setattr__(self, "nation_wording", f"{self.nation}'s")
        return self

    @property
    def has_published_list(self) -> bool:
        """Whether a published list exists to validate the identification against."""
        return self.published_count is not None


def _lsoa11_majority_ruc(lookup_sql: str, population_table: str) -> str:
    """Rural-urban class holding most of each area's population (2011 LSOA classification)."""
    return f"""
        SELECT code, arg_max(ruc, pop) AS rural_urban FROM (
            SELECT l.code, r.ruc, sum(p.total_population) AS pop
            FROM ({lookup_sql}) l
            JOIN ruc11_lsoa11 r ON r.lsoa11_code = l.small
            JOIN {population_table} p ON p.lsoa11_code = l.small
            GROUP BY ALL)
        GROUP BY code"""


_WARD17_LOOKUP = "SELECT lsoa11_code AS small, ward17_code AS code FROM lookup_lsoa11_ward17"
_MSOA11_LOOKUP = "SELECT lsoa11_code AS small, msoa11_code AS code FROM lookup_lsoa11_msoa11"

ENGLAND_2019_WARD = Edition(
    id="england-2019-ward",
    title="England 2019, wards (OCSI for Local Trust definition)",
    nation="England",
    country_code="E92000001",
    geography="ward17",
    cni_table="cni2019_england_ward17",
    cni="Community Needs Index 2019 (wards, 2017 boundaries)",
    imd="English IMD 2019, aggregated from LSOAs to wards",
    imd_method="population_weighted_score",
    imd_index="imd-2019",
    population_year="ONS mid-2017 LSOA population estimates",
    published_count=225,
    # 'There are 225 left behind wards in England, with a total population of 2,396,610'
    # (APPG for 'left behind' neighbourhoods, 2023, citing Local Trust, 2019).
    published_population=2_396_610,
    alternative_small_sql={
        "ONS mid-2019 populations": """
        SELECT l.lsoa11_code AS small, l.ward17_code AS code, p.total_population AS population
        FROM lookup_lsoa11_ward17 l JOIN population19_lsoa11 p USING (lsoa11_code)
        WHERE l.lsoa11_code LIKE 'E%'""",
    },
    areas_sql="""
        SELECT ward17_code AS code, ward17_name AS name, cni_rank, published_left_behind,
               lad19_code AS local_authority_code, lad19_name AS local_authority
        FROM cni2019_england_ward17""",
    small_sql="""
        SELECT l.lsoa11_code AS small, l.ward17_code AS code, p.total_population AS population
        FROM lookup_lsoa11_ward17 l JOIN population17_lsoa11 p USING (lsoa11_code)
        WHERE l.lsoa11_code LIKE 'E%'""",
    region_sql="""
        WITH m AS (
            SELECT w.lad19_code, r.region19_code, r.region19_name, count(*) AS n
            FROM cni2019_england_ward17 w
            JOIN lookup_lsoa11_ward17 l USING (ward17_code)
            JOIN lookup_lsoa11_ltla19 t USING (lsoa11_code)
            JOIN lookup_ltla19_region19 r USING (ltla19_code)
            GROUP BY ALL),
        lad AS (
            SELECT lad19_code, arg_max(region19_code, n) AS region_code,
                   arg_max(region19_name, n) AS region
            FROM m GROUP BY lad19_code)
        SELECT w.ward17_code AS code, lad.region_code, lad.region
        FROM cni2019_england_ward17 w JOIN lad USING (lad19_code)""",
    rural_urban_sql=_lsoa11_majority_ruc(_WARD17_LOOKUP, "population17_lsoa11"),
    imd_rank_meaning="rank of the ward's population-weighted average LSOA IMD 2019 score "
    "among English wards (1 = most deprived)",
    imd_score_meaning="population-weighted average of the ward's LSOA IMD 2019 scores",
    area_word="ward",
    area_words="wards",
    nation_wording="England's",
    index_name="English Index of Multiple Deprivation 2019",
    cni_name="Community Needs Index 2019",
    small_area_word="LSOA",
    small_area_words="LSOAs",
    profile=ProfileSpec(
        framework="england-2019-ward",
        small_area="lsoa11",
        imd_table="imd2019_england_lsoa11",
        imd_code_column="lsoa11_code",
        population_table="population17_lsoa11",
        hierarchy="lsoa11-ward17-ltla19",
    ),
    robustness=RobustnessSpec(
        imd_index="imd-2019",
        cni_code_column="ward17_code",
        cni_name_column="ward17_name",
        ward_lookup="lookup_lsoa11_ward17",
    ),
    validation=ValidationSpec(imd_index="imd-2019", local_authorities="ltla19"),
    notes="LSOAs are assigned to the ward they best fit (lookup_lsoa11_ward17); wards with no "
    "best-fitting LSOA (12 small rural wards) have no IMD score or population and are never "
    "left behind. Local authorities are the CNI's own (some pre-2019 districts).",
)


def _lsoa21_areas_sql(published: str) -> str:
    """CNI 2023 LSOAs with their 2024 local authorities; ``published`` is the SQL of the
    published flag (the CNI's own column, or FALSE for an edition without a published list)."""
    return f"""
        SELECT c.lsoa21_code AS code, c.lsoa21_name AS name, c.cni_rank,
               {published} AS published_left_behind, l.ltla24_code AS local_authority_code,
               l.ltla24_name AS local_authority
        FROM cni2023_england_lsoa21 c
        LEFT JOIN lookup_lsoa21_ward24_ltla24 l USING (lsoa21_code)"""


_IMD2025_LSOA21_SQL = "SELECT lsoa21_code AS code, imd_rank, imd_score FROM imd2025_england_lsoa21"
_CENSUS21_LSOA21_SQL = (
    "SELECT lsoa21_code AS code, residents AS population FROM population21_lsoa21"
)
_LSOA21_REGION_SQL = """
        SELECT l.lsoa21_code AS code, r.region24_code AS region_code, r.region24_name AS region
        FROM lookup_lsoa21_ward24_ltla24 l JOIN lookup_ltla24_region24 r USING (ltla24_code)"""
_RUC21_LSOA21_SQL = "SELECT lsoa21_code AS code, ruc AS rural_urban FROM ruc21_lsoa21"
_IMD2025_RANK_MEANING = "official IMD 2025 rank among 33,755 English LSOAs (1 = most deprived)"
_LSOA21_PROFILE = ProfileSpec(
    framework="england-2023-lsoa",
    small_area="lsoa21",
    imd_table="imd2025_england_lsoa21",
    imd_code_column="lsoa21_code",
    population_table="population21_lsoa21",
    age_mix_table="population19_lsoa11",
    hierarchy="lsoa21-ward24-ltla24",
)
_LSOA21_ROBUSTNESS = RobustnessSpec(
    imd_index="imd-2025", cni_code_column="lsoa21_code", cni_name_column="lsoa21_name"
)
_IMD2025_VALIDATION = ValidationSpec(imd_index="imd-2025", local_authorities="ltla24")

ENGLAND_2023_LSOA = Edition(
    id="england-2023-lsoa",
    title="England 2023, LSOAs (2021 boundaries)",
    nation="England",
    country_code="E92000001",
    geography="lsoa21",
    cni_table="cni2023_england_lsoa21",
    cni="Community Needs Index 2023 (LSOAs, 2021 boundaries)",
    imd="English IMD 2025 (LSOAs, 2021 boundaries)",
    imd_method="published_rank",
    population_year="Census 2021 usual residents",
    published_count=1262,
    areas_sql=_lsoa21_areas_sql("c.published_left_behind"),
    imd_sql=_IMD2025_LSOA21_SQL,
    population_sql=_CENSUS21_LSOA21_SQL,
    region_sql=_LSOA21_REGION_SQL,
    rural_urban_sql=_RUC21_LSOA21_SQL,
    imd_rank_meaning=_IMD2025_RANK_MEANING,
    imd_score_meaning="official IMD 2025 score",
    area_word="neighbourhood",
    area_words="neighbourhoods",
    nation_wording="England's",
    index_name="English Index of Multiple Deprivation 2025",
    cni_name="Community Needs Index 2023",
    profile=_LSOA21_PROFILE,
    robustness=_LSOA21_ROBUSTNESS,
    validation=_IMD2025_VALIDATION,
)

ENGLAND_2025_LSOA = ENGLAND_2023_LSOA.model_copy(
    update={
        "id": "england-2025-lsoa",
        "title": "England 2025, LSOAs (2021 boundaries)",
        "imd": "English IMD 2025 (LSOAs, 2021 boundaries), official rank",
        "published_count": None,
        "areas_sql": _lsoa21_areas_sql("FALSE"),
        "notes": "The same inputs as england-2023-lsoa (CNI 2023 x official IMD 2025 rank on "
        "LSOA 2021, Census 2021 residents), declared as our own 2025 list: there is no "
        "published list to validate it against, so published_left_behind is False for every "
        "area.",
    }
)

WALES_2022_MSOA = Edition(
    id="wales-2022-msoa",
    title="Wales 2022, MSOAs",
    nation="Wales",
    country_code="W92000004",
    geography="msoa11",
    cni_table="cni2022_wales_msoa11",
    cni="Community Needs Index 2022 for Wales (MSOAs)",
    imd="Welsh IMD 2019 (LSOAs), most deprived LSOA in each MSOA",
    imd_method="most_deprived_small_area",
    population_year="ONS mid-2019 LSOA population estimates",
    published_count=18,
    areas_sql="""
        WITH la AS (
            SELECT m.msoa11_code, min(t.ltla19_code) AS ltla19_code
            FROM lookup_lsoa11_msoa11 m JOIN lookup_lsoa11_ltla19 t USING (lsoa11_code)
            GROUP BY m.msoa11_code)
        SELECT c.msoa11_code AS code, c.msoa11_name AS name, c.cni_rank,
               c.published_left_behind, la.ltla19_code AS local_authority_code,
               c.lad21_name AS local_authority
        FROM cni2022_wales_msoa11 c LEFT JOIN la USING (msoa11_code)""",
    imd_sql="SELECT msoa11_code AS code, score AS imd_score FROM imd2019_wales_msoa11",
    small_sql="""
        SELECT l.lsoa11_code AS small, m.msoa11_code AS code, l.imd_rank AS small_rank,
               p.total_population AS population
        FROM imd2019_wales_lsoa11 l JOIN lookup_lsoa11_msoa11 m USING (lsoa11_code)
        LEFT JOIN population19_lsoa11 p USING (lsoa11_code)""",
    small_count_sql="SELECT count(*) FROM imd2019_wales_lsoa11",
    region_sql="""SELECT msoa11_code AS code, 'W92000004' AS region_code, 'Wales' AS region
        FROM cni2022_wales_msoa11""",
    rural_urban_sql=_lsoa11_majority_ruc(_MSOA11_LOOKUP, "population19_lsoa11"),
    imd_rank_meaning="WIMD 2019 rank (among 1,909 Welsh LSOAs) of the MSOA's most deprived LSOA",
    imd_score_meaning="published population-weighted average WIMD 2019 score of the MSOA",
    area_word="neighbourhood",
    area_words="neighbourhoods",
    nation_wording="Wales's",
    names_sql="""
        SELECT msoa11cd AS code, nullif(trim(msoa11hclnmw), '') AS name_cy,
               nullif(trim(msoa11hclnm), '') AS name_hcl
        FROM msoa11_names_hcl WHERE msoa11cd LIKE 'W02%'""",
    index_name="Welsh Index of Multiple Deprivation 2019 (WIMD)",
    cni_name="Community Needs Index 2022 for Wales",
    small_area_word="LSOA",
    small_area_words="LSOAs",
    profile=ProfileSpec(
        framework="wales-2022-msoa",
        nine_dimensions=False,
        small_area="lsoa11",
        imd_table="imd2019_wales_lsoa11",
        imd_code_column="lsoa11_code",
        population_table="population19_lsoa11",
        population_source="ONS mid-2019 LSOA population estimates",
        hierarchy="declared",
        levels=(
            LevelSpec(
                type="lsoa11",
                sql="""SELECT lsoa11_code AS small, lsoa11_code AS code, lsoa11_name AS name,
                    ltla19_code AS la_code, ltla19_name AS la_name
                    FROM lookup_lsoa11_ltla19 WHERE lsoa11_code LIKE 'W%'""",
            ),
            LevelSpec(
                type="msoa11",
                sql="""WITH la AS (
                        SELECT m.msoa11_code, min(t.ltla19_code) AS la_code,
                               min(t.ltla19_name) AS la_name
                        FROM lookup_lsoa11_msoa11 m JOIN lookup_lsoa11_ltla19 t USING (lsoa11_code)
                        GROUP BY m.msoa11_code)
                    SELECT m.lsoa11_code AS small, m.msoa11_code AS code, c.msoa11_name AS name,
                           la.la_code, la.la_name
                    FROM lookup_lsoa11_msoa11 m JOIN cni2022_wales_msoa11 c USING (msoa11_code)
                    LEFT JOIN la USING (msoa11_code)""",
            ),
            LevelSpec(
                type="ltla19",
                sql="""SELECT lsoa11_code AS small, ltla19_code AS code, ltla19_name AS name,
                    ltla19_code AS la_code, ltla19_name AS la_name
                    FROM lookup_lsoa11_ltla19 WHERE lsoa11_code LIKE 'W%'""",
            ),
        ),
    ),
    notes="Ranking MSOAs by their average WIMD score finds only 14 of the 18 published areas; "
    "the 'contains an LSOA in the most deprived 10%' rule reproduces all 18.",
)

SCOTLAND_2022_IZ = Edition(
    id="scotland-2022-iz",
    title="Scotland 2022, intermediate zones",
    nation="Scotland",
    country_code="S92000003",
    geography="iz11",
    cni_table="cni2022_scotland_iz11",
    cni="Community Needs Index 2022 for Scotland (intermediate zones)",
    imd="SIMD 2020 (data zones), most deprived data zone in each intermediate zone",
    imd_method="most_deprived_small_area",
    population_year="NRS mid-2021 intermediate zone estimates",
    published_count=59,
    areas_sql="""
        WITH la AS (
            SELECT iz11_code, min(ltla20_code) AS code, min(ltla20_name) AS name
            FROM lookup_dz11_iz11_ltla20 GROUP BY iz11_code)
        SELECT c.iz11_code AS code, c.iz11_name AS name, c.cni_rank, c.published_left_behind,
               la.code AS local_authority_code, la.name AS local_authority
        FROM cni2022_scotland_iz11 c LEFT JOIN la USING (iz11_code)""",
    imd_sql="SELECT iz11_code AS code, extent AS imd_score FROM imd2020_scotland_iz11",
    small_sql="""
        SELECT d.dz11_code AS small, l.iz11_code AS code, d.imd_rank AS small_rank,
               NULL::DOUBLE AS population
        FROM imd2020_scotland_dz11 d JOIN lookup_dz11_iz11_ltla20 l USING (dz11_code)""",
    small_count_sql="SELECT count(*) FROM imd2020_scotland_dz11",
    population_sql="SELECT iz11_code AS code, total_population AS population "
    "FROM population21_iz11",
    region_sql="""SELECT iz11_code AS code, 'S92000003' AS region_code, 'Scotland' AS region
        FROM cni2022_scotland_iz11""",
    imd_rank_meaning="SIMD 2020 rank (among 6,976 data zones) of the zone's most deprived "
    "data zone",
    imd_score_meaning="published SIMD 2020 extent of the intermediate zone (SIMD has no scores)",
    area_word="intermediate zone",
    area_words="intermediate zones",
    nation_wording="Scotland's",
    index_name="Scottish Index of Multiple Deprivation 2020 (SIMD)",
    cni_name="Community Needs Index 2022 for Scotland",
    small_area_word="data zone",
    small_area_words="data zones",
    profile=ProfileSpec(
        framework="scotland-2022-iz",
        nine_dimensions=False,
        small_area="dz11",
        imd_table="imd2020_scotland_dz11",
        imd_code_column="dz11_code",
        population_table="population20_dz11",
        population_source="NRS mid-2020 data zone population estimates",
        population_where="sex = 'All'",
        hierarchy="declared",
        levels=(
            LevelSpec(
                type="dz11",
                sql="""SELECT dz11_code AS small, dz11_code AS code, dz11_name AS name,
                    ltla20_code AS la_code, ltla20_name AS la_name FROM lookup_dz11_iz11_ltla20""",
            ),
            LevelSpec(
                type="iz11",
                sql="""SELECT dz11_code AS small, iz11_code AS code, iz11_name AS name,
                    ltla20_code AS la_code, ltla20_name AS la_name FROM lookup_dz11_iz11_ltla20""",
            ),
            LevelSpec(
                type="ltla20",
                sql="""SELECT dz11_code AS small, ltla20_code AS code, ltla20_name AS name,
                    ltla20_code AS la_code, ltla20_name AS la_name FROM lookup_dz11_iz11_ltla20""",
            ),
        ),
    ),
    notes="SIMD publishes ranks only; the 'contains a data zone in the most deprived 10%' "
    "rule reproduces all 59 published areas.",
)

NORTHERN_IRELAND_2022_SOA = Edition(
    id="northern-ireland-2022-soa",
    title="Northern Ireland 2022, super output areas",
    nation="Northern Ireland",
    country_code="N92000002",
    geography="soa11",
    cni_table="cni2022_northern_ireland_soa11",
    cni="Community Needs Index 2022 for Northern Ireland (SOAs)",
    imd="NIMDM 2017 (SOAs)",
    imd_method="published_rank",
    population_year="none mirrored (population is empty)",
    published_count=16,
    areas_sql="""
        SELECT soa11_code AS code, soa11_name AS name, cni_rank, published_left_behind,
               lgd14_code AS local_authority_code, lgd14_name AS local_authority
        FROM cni2022_northern_ireland_soa11""",
    imd_sql="""SELECT soa01_code AS code, imd_rank, NULL::DOUBLE AS imd_score
        FROM imd2017_northern_ireland_soa01""",
    region_sql="""SELECT soa11_code AS code, 'N92000002' AS region_code,
        'Northern Ireland' AS region FROM cni2022_northern_ireland_soa11""",
    imd_rank_meaning="official NIMDM 2017 rank among 890 SOAs (1 = most deprived)",
    imd_score_meaning="none (NIMDM 2017 is mirrored as ranks only)",
    area_word="super output area",
    area_words="super output areas",
    nation_wording="Northern Ireland's",
    index_name="Northern Ireland Multiple Deprivation Measure 2017 (NIMDM)",
    cni_name="Community Needs Index 2022 for Northern Ireland",
    profile=ProfileSpec(
        framework="northern-ireland-2022-soa",
        nine_dimensions=False,
        small_area="soa11",
        imd_table="cni2022_northern_ireland_soa11",
        imd_code_column="soa11_code",
        population_table=None,
        hierarchy="declared",
        levels=(
            LevelSpec(
                type="soa11",
                sql="""SELECT soa11_code AS small, soa11_code AS code, soa11_name AS name,
                    lgd14_code AS la_code, lgd14_name AS la_name
                    FROM cni2022_northern_ireland_soa11""",
            ),
            LevelSpec(
                type="lgd14",
                sql="""SELECT soa11_code AS small, lgd14_code AS code, lgd14_name AS name,
                    lgd14_code AS la_code, lgd14_name AS la_name
                    FROM cni2022_northern_ireland_soa11""",
            ),
        ),
    ),
)

EDITIONS: dict[str, Edition] = {
    e.id: e
    for e in (
        ENGLAND_2019_WARD,
        ENGLAND_2023_LSOA,
        ENGLAND_2025_LSOA,
        WALES_2022_MSOA,
        SCOTLAND_2022_IZ,
        NORTHERN_IRELAND_2022_SOA,
    )
}

DEFAULT_EDITION = "england-2019-ward"


def get_edition(edition: str) -> Edition:
    """The declared edition ``edition``; an unknown id lists the valid ones (exit code 2)."""
    if edition not in EDITIONS:
        raise UnknownName(f"unknown edition {edition!r}; choose one of: {', '.join(EDITIONS)}")
    return EDITIONS[edition]
