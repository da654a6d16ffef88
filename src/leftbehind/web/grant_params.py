"""Query parameters shared by the grants API and pages: years, largest grant, funder, funder
type; unknown parameters are refused (422 naming them) so a mistyped filter never silently
shows unfiltered figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request

from leftbehind.errors import InvalidInput
from leftbehind.funding.summary import MAX_FILTER_TEXT, GrantFilters
from leftbehind.web.common import APP_WIDE_QUERY

YearFromParam = Annotated[
    int | None, Query(alias="from", ge=1900, le=2100, description="First award year.")
]
YearToParam = Annotated[
    int | None, Query(alias="to", ge=1900, le=2100, description="Last award year.")
]
MaxGrantParam = Annotated[
    float | None,
    Query(
        gt=0,
        le=10_000_000_000,
        allow_inf_nan=False,
        description="Only grants of at most this many pounds (the report used 1000000).",
    ),
]
FunderParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_FILTER_TEXT,
        description="A funder's 360Giving identifier, or (part of) its name.",
    ),
]
FunderTypeParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_FILTER_TEXT,
        description="Funder type, where the data states it (Funding Org:Organisation Type).",
    ),
]


def only_params(request: Request, allowed: Iterable[str]) -> None:
    """422 naming the first query parameter that is not one of ``allowed`` (or one every route
    accepts, such as ``lang``)."""
    known = set(allowed) | APP_WIDE_QUERY
    for name in request.query_params:
        if name not in known:
            raise InvalidInput(
                f"unknown query parameter '{name}'; use {', '.join(sorted(known))}",
                parameter=name,
            )


def make_filters(
    year_from: int | None,
    year_to: int | None,
    max_grant: float | None,
    funder: str | None,
    funder_type: str | None,
) -> GrantFilters:
    return GrantFilters(year_from, year_to, max_grant, funder, funder_type)


def filter_query(edition: str, filters: GrantFilters, **extra: Any) -> str:
    """The query string of an edition and filters (for links), blanks left out."""
    values = {"edition": edition, **filters.as_dict(), **extra}
    if isinstance(values.get("max_grant"), float) and values["max_grant"].is_integer():
        values["max_grant"] = int(values["max_grant"])
    return urlencode({k: v for k, v in values.items() if v is not None})
