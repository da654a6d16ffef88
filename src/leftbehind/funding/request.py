"""The one allocation request: every parameter of ``leftbehind allocate``, ``/allocate`` and
``/api/allocations``, with one set of defaults and bounds.

The request is turned into the formula's :class:`~leftbehind.funding.allocate.AllocationParams`
(and, when ``compare_bidding`` is set, the bidding model's
:class:`~leftbehind.funding.bidding.BiddingParams`) by :meth:`AllocationRequest.params`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput
from leftbehind.funding import allocate as al
from leftbehind.funding import bidding
from leftbehind.groups import DEPRIVED
from leftbehind.money import parse_amount

MAX_POUNDS = al.MAX_POUNDS
MAX_DRAWS = 1000
MAX_YEARS = 50
#: Work caps of one request of the site and the API (the CLI runs locally, without them).
#: The allocation's size is eligible areas x years (one CSV row each)...
MAX_AREA_YEARS = 40_000
#: ... and the bidding simulation's is draws x the edition's areas (a random draw per area).
MAX_DRAW_AREAS = 10_000_000
#: Library parameter names the request calls differently.
REQUEST_NAME = {"groups": "include_other_deprived", "award": "budget"}
#: The declared editions (the schema of the API lists them).
EditionName = Literal[tuple(EDITIONS)]  # type: ignore[valid-type]


class AllocationRequest(BaseModel):
    """A needs-based allocation of a budget over an edition's areas."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)

    edition: EditionName | None = Field(
        None,
        description="Edition id (see /api/editions), e.g. england-2019-ward. "
        "Default: the configured edition.",
    )
    budget: float = Field(
        ge=0.01,
        le=MAX_POUNDS,
        description="Total pot in pounds over all years (a penny to a trillion), e.g. 10000000, "
        "£2,000,000, 250k or 1.5m.",
    )
    years: int = Field(
        10,
        ge=1,
        le=MAX_YEARS,
        description="Number of years the money is spread over (1-50). Cap on the site and "
        f"API: eligible areas x years at most {MAX_AREA_YEARS:,}.",
    )
    include_other_deprived: bool = Field(
        False,
        description="Also fund other deprived areas (most deprived 10% but not 'left behind').",
    )
    need: Literal["exponential", "ranks", "scores", "equal"] = Field(
        "exponential",
        description="How need is measured from the Community Needs Index and the IMD: "
        "exponential (default: the IMD's own exponential transform of the ranks, "
        "-(100/k) ln(1 - R (1 - exp(-k))) with R = (N + 1 - rank) / N), ranks (R itself), "
        "scores, or equal (every eligible area the same need).",
    )
    steepness: float = Field(
        al.IMD_STEEPNESS,
        gt=0,
        le=50,
        description="Steepness k of the exponential transform (default 100/23 = 4.3478..., the "
        "IMD's constant 23); larger gives the most in need more.",
    )
    need_index: Literal["combined", "cni", "imd"] = Field(
        "combined",
        description="Which index measures need: combined (CNI and IMD weighted by cni_weight), "
        "cni (the Community Needs Index only) or imd (the IMD only).",
    )
    cni_weight: float = Field(
        0.5, ge=0, le=1, description="Weight of the Community Needs Index in need (0-1); "
        "the rest is the IMD.",
    )  # fmt: skip
    floor: float | None = Field(
        None, ge=0, le=MAX_POUNDS, description="Minimum per area over all years, in pounds."
    )
    cap: float | None = Field(
        None, ge=0.01, le=MAX_POUNDS, description="Maximum per area over all years, in pounds."
    )
    capacity_share: float = Field(
        0.1, ge=0, le=1, description="Share for community capacity building (0-1), revenue, "
        "front-loaded in the early years.",
    )  # fmt: skip
    capital_share: float = Field(
        0.3, ge=0, le=1, description="Capital share (0-1) of what is left after capacity building."
    )
    profile: Literal["flat", "front_loaded", "table"] = Field(
        "flat",
        description="Yearly profile: flat, front_loaded, or table (weights in profile_table).",
    )
    profile_table: str | None = Field(
        None,
        max_length=600,
        pattern=r"^\s*$|^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*,?\s*$",
        description="Comma-separated yearly weights when profile=table, one per year, e.g. 3,2,1.",
    )
    compare_bidding: bool = Field(
        False,
        description="Also simulate a competitive bidding round for the same budget and report "
        "the share of money reaching 'left behind' areas with 5-95% intervals.",
    )
    draws: int = Field(
        1000,
        ge=1,
        le=MAX_DRAWS,
        description="Monte Carlo draws for compare_bidding (1-1000). Cap on the site and API: "
        f"draws x the edition's areas at most {MAX_DRAW_AREAS:,} (about 290 draws for an "
        "LSOA edition).",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Random seed for compare_bidding.")
    award: float | None = Field(
        None,
        ge=0.01,
        le=MAX_POUNDS,
        description="Competitive award size in pounds for compare_bidding (default: the "
        "formula's mean award).",
    )

    @field_validator("floor", "cap", "profile_table", "award", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("budget", "floor", "cap", "award", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        """'£2,000,000', '2m', '250k' -> pounds (a blank optional amount stays blank)."""
        if isinstance(value, str) and value.strip():
            try:
                return parse_amount(value)
            except ValueError as exc:
                raise PydanticCustomError("amount", str(exc)) from None
        return value

    @classmethod
    def parse(cls, **values: Any) -> AllocationRequest:
        """A request from keyword values; a bad value is one-line :class:`InvalidInput` naming
        the parameter."""
        try:
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "budget"
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise InvalidInput(
                f"allocation parameter {name}: {msg}; fix the value", parameter=name
            ) from None

    def cache_key(self, edition_id: str) -> tuple:
        """What the result depends on (bidding settings only when bidding is compared)."""
        data = self.model_dump()
        data["edition"] = edition_id
        if not self.compare_bidding:
            for name in ("draws", "seed", "award"):
                data.pop(name)
        if self.profile != "table":
            data.pop("profile_table")
        return tuple(sorted(data.items()))

    def check_work(self, eligible: int, areas: int) -> None:
        """:class:`InvalidInput` naming the cap when this request, over ``eligible`` funded
        areas of an edition of ``areas`` areas, is more work than one web request may cost."""
        size = eligible * self.years
        if size > MAX_AREA_YEARS:
            most = max(MAX_AREA_YEARS // max(eligible, 1), 0)
            hint = f"at most {most} years here" if most else "fewer eligible areas"
            raise InvalidInput(
                f"{eligible:,} eligible areas x {self.years} years = {size:,} area-years is above "
                f"the cap of {MAX_AREA_YEARS:,} per request; use {hint}, leave out other "
                "deprived areas, or run 'leftbehind allocate' locally",
                parameter="years",
            )
        if self.compare_bidding and self.draws * areas > MAX_DRAW_AREAS:
            most = MAX_DRAW_AREAS // max(areas, 1)
            raise InvalidInput(
                f"{self.draws:,} bidding draws x {areas:,} areas = {self.draws * areas:,} is above "
                f"the cap of {MAX_DRAW_AREAS:,} per request; use at most {most} draws for this "
                "edition, or run 'leftbehind allocate --compare-bidding' locally",
                parameter="draws",
            )

    def weights(self) -> tuple[float, ...] | None:
        """The yearly weights of ``profile_table`` (``None`` unless profile is 'table')."""
        if self.profile != "table" or self.profile_table is None:
            return None
        try:
            weights = tuple(float(x) for x in self.profile_table.split(",") if x.strip())
        except ValueError:
            raise InvalidInput(
                f"profile_table {self.profile_table!r} is not comma-separated numbers; "
                "write e.g. 3,2,1",
                parameter="profile_table",
            ) from None
        if not all(math.isfinite(w) and abs(w) <= 1e9 for w in weights):
            raise InvalidInput(
                "profile_table: each yearly weight must be a number from 0 to 1,000,000,000",
                parameter="profile_table",
            )
        return weights

    def params(self) -> al.AllocationParams:
        """The formula's parameters."""
        groups = DEPRIVED if self.include_other_deprived else ("left_behind",)
        try:
            return al.make_params(
                budget=self.budget, years=self.years, groups=groups, need=self.need,
                steepness=self.steepness, need_index=self.need_index,
                cni_weight=self.cni_weight, floor=self.floor, cap=self.cap,
                capacity_share=self.capacity_share, capital_share=self.capital_share,
                profile=self.profile, profile_table=self.weights(),
            )  # fmt: skip
        except InvalidInput as exc:
            raise _renamed(exc) from None

    def bidding_params(self, funded_areas: int) -> bidding.BiddingParams:
        """The bidding model's parameters (award: the formula's mean unless given)."""
        try:
            return bidding.make_bidding_params(
                budget=self.budget, draws=self.draws, seed=self.seed,
                award=self.award or self.budget / max(funded_areas, 1),
            )  # fmt: skip
        except InvalidInput as exc:
            raise _renamed(exc) from None


def _renamed(exc: InvalidInput) -> InvalidInput:
    """The library's error, naming the request's parameter."""
    name = exc.parameter or "budget"
    return InvalidInput(str(exc), parameter=REQUEST_NAME.get(name, name))


def defaults() -> dict[str, Any]:
    """Each parameter's default (the CLI shows and uses these)."""
    return {
        name: info.default
        for name, info in AllocationRequest.model_fields.items()
        if not info.is_required()
    }
