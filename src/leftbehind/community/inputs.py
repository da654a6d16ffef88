"""What a client may send: the measure and observation payloads, with their limits.

The field names are the open API's contract (scripts written against one site work against
another): a measure is ``{"name", "description", "unit", "higher_is_better", "method",
"source", "baseline", "target", "status"}``, an observation ``{"value", "date", "note",
"evidence_url"}``. Numbers must be finite; dates within 1990-2100; text is stored as given
(HTML is never interpreted: every page escapes it) but may not hold control characters.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)
#: Largest magnitude of a value, baseline or target (far beyond any count or share).
MAX_MAGNITUDE = 1e15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _line(value: str) -> str:
    value = _text(value)
    if _LINE_BREAK.search(value):
        raise ValueError("must be one line")
    return value


def _name(value: str) -> str:
    value = _line(value)
    if not value:
        raise ValueError("must not be empty")
    return value


def _date(value: dt.date) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _url(value: str) -> str:
    value = _line(value)
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// address")
    return value


Name = Annotated[str, Field(max_length=200), AfterValidator(_name)]
Text = Annotated[str, Field(max_length=5000), AfterValidator(_text)]
Unit = Annotated[str, Field(max_length=40), AfterValidator(_line)]
Source = Annotated[str, Field(max_length=1000), AfterValidator(_text)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
When = Annotated[dt.date, AfterValidator(_date)]
Note = Annotated[str, Field(max_length=2000), AfterValidator(_text)]
Url = Annotated[str, Field(max_length=2000), AfterValidator(_url)]
Status = Literal["draft", "published"]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=False)


class MeasureIn(BaseModel):
    """A new local measure of success."""

    model_config = _STRICT

    name: Name = Field(description="What is measured, e.g. 'Residents who feel they belong'.")
    description: Text = Field("", description="What it means, in plain words.")
    unit: Unit = Field("", description="e.g. '%', 'events a month', 'people'.")
    higher_is_better: bool = True
    method: Text = Field("", description="How it is collected, e.g. 'annual door-step survey'.")
    source: Source = Field("", description="Who collects it.")
    baseline: Number | None = None
    target: Number | None = None
    status: Status = "draft"


class MeasurePatch(BaseModel):
    """Changes to a measure; ``version`` is the version the change is based on (a stale one is
    a 409 conflict). It may instead be sent as ``If-Match: "VERSION"``."""

    model_config = _STRICT

    name: Name | None = None
    description: Text | None = None
    unit: Unit | None = None
    higher_is_better: bool | None = None
    method: Text | None = None
    source: Source | None = None
    baseline: Number | None = None
    target: Number | None = None
    status: Status | None = None
    version: int | None = Field(None, ge=1)


class ObservationIn(BaseModel):
    """One value of a measure at a date."""

    model_config = _STRICT

    value: Number
    date: When
    note: Note = ""
    evidence_url: Url = Field("", description="A link to the evidence (http or https).")


class ObservationPatch(BaseModel):
    model_config = _STRICT

    value: Number | None = None
    date: When | None = None
    note: Note | None = None
    evidence_url: Url | None = None
    version: int | None = Field(None, ge=1)


#: Fields that may be set to null by a PATCH (the rest keep their value when null or absent).
NULLABLE = frozenset({"baseline", "target"})


# -- community assets ------------------------------------------------------------------------
#: Kept in step with ``leftbehind.assets.stage.CATEGORIES`` (tests check they agree).
AssetCategory = Literal[
    "library", "gp_practice", "hospital", "community_centre", "pub", "green_space",
    "place_of_worship", "post_office", "sports", "youth", "other",
]  # fmt: skip
AssetStatus = Literal["open", "closed", "threatened"]
Ownership = Literal["community", "council", "public", "private", "unknown"]
Publication = Literal["draft", "published"]
#: The decision on a nomination as an Asset of Community Value ('' = not nominated).
AcvDecision = Literal["", "pending", "listed", "not-listed", "removed"]
_POSTCODE_TEXT = re.compile(r"^[A-Za-z0-9 ]{0,10}$")


def _postcode(value: str) -> str:
    value = _line(value).upper()
    if not _POSTCODE_TEXT.match(value):
        raise ValueError("must be a UK postcode such as RM9 4UN")
    return value


def _evidence(value: str) -> str:
    value = _url(value)
    if not value:
        raise ValueError("give a link to a source or evidence (http or https)")
    return value


Postcode = Annotated[str, Field(max_length=10), AfterValidator(_postcode)]
Address = Annotated[str, Field(max_length=500), AfterValidator(_line)]
Group = Annotated[str, Field(max_length=200), AfterValidator(_line)]
Evidence = Annotated[str, Field(max_length=2000), AfterValidator(_evidence)]

#: Asset fields, in the order of the API, the CSV and the form.
ASSET_FIELDS = (
    "category", "name", "description", "address", "postcode", "status", "ownership", "opened",
    "closed", "evidence_url", "acv_nominating_group", "acv_nomination_date", "acv_decision",
    "acv_decision_date", "acv_protected_period_start_date", "acv_protected_period_end_date",
    "acv_notification_to_sell_date", "publication",
)  # fmt: skip
#: Asset fields that may be set to null by a PATCH.
ASSET_NULLABLE = frozenset(
    {
        "opened", "closed", "acv_nomination_date", "acv_decision_date",
        "acv_protected_period_start_date", "acv_protected_period_end_date",
        "acv_notification_to_sell_date",
    }
)  # fmt: skip


class AssetIn(BaseModel):
    """A community asset. The ``acv_*`` fields are those of the planning data specification's
    ``asset-of-community-value`` (nominating-group, nomination-date, decision, decision-date,
    protected-period-start-date, notification-to-sell-date) plus the protected period's end."""

    model_config = _STRICT

    category: AssetCategory
    name: Name
    description: Text = ""
    address: Address = ""
    postcode: Postcode = Field("", description="Places it on the map (e.g. 'RM9 4UN').")
    status: AssetStatus = "open"
    ownership: Ownership = "unknown"
    opened: When | None = None
    closed: When | None = None
    evidence_url: Evidence = Field(description="A link to the source or evidence.")
    acv_nominating_group: Group = ""
    acv_nomination_date: When | None = None
    acv_decision: AcvDecision = ""
    acv_decision_date: When | None = None
    acv_protected_period_start_date: When | None = None
    acv_protected_period_end_date: When | None = None
    acv_notification_to_sell_date: When | None = None
    publication: Publication = "draft"


class AssetPatch(BaseModel):
    """Changes to a community asset; ``version`` as for measures (409 when stale)."""

    model_config = _STRICT

    category: AssetCategory | None = None
    name: Name | None = None
    description: Text | None = None
    address: Address | None = None
    postcode: Postcode | None = None
    status: AssetStatus | None = None
    ownership: Ownership | None = None
    opened: When | None = None
    closed: When | None = None
    evidence_url: Evidence | None = None
    acv_nominating_group: Group | None = None
    acv_nomination_date: When | None = None
    acv_decision: AcvDecision | None = None
    acv_decision_date: When | None = None
    acv_protected_period_start_date: When | None = None
    acv_protected_period_end_date: When | None = None
    acv_notification_to_sell_date: When | None = None
    publication: Publication | None = None
    version: int | None = Field(None, ge=1)
