"""Grants that reconcile: where every penny imported went, by reason, adding up exactly.

Every grant's money (integer pence in GBP) is split into the part placed in the edition's areas
that have residents, and the rest, which is either located but outside those areas (by reason)
or not located at all (by reason). Parts are whole pence: the placed part is the grant's pence
times its placed share, rounded; the part in areas without population likewise; the remainder
goes to the one reason that explains it, so the parts of every grant add up to the grant, and
the parts of all grants to the total imported, to the penny. A grant split between parts is
counted (once) in the part that received most of its money, so counts add up too. Grants in
another currency with no exchange rate have no value in GBP; they are counted apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Located but not placed: reason -> plain words.
OUTSIDE_REASONS = {
    "other_nation": "in another nation than the edition's",
    "not_covered": "in areas of the edition's nation that the edition does not cover "
    "(e.g. City of London, Isles of Scilly)",
    "no_population": "in areas without residents (no population to count per head)",
    "local_authority_only": "located only to a local authority (import with --apportion to "
    "spread it over the authority's neighbourhoods by population)",
}
#: Not located: reason -> plain words (from the importer's location note).
UNLOCATED_REASONS = {
    "no_location": "no beneficiary code, recipient location code or postcode",
    "postcode_not_in_lookup": "postcode not in the postcode lookup",
    "postcode_not_looked_up": "postcode not looked up (no postcode lookup given)",
    "malformed_postcode": "malformed postcode",
    "postcode_without_codes": "postcode has no area codes in the lookup",
    "coarse_code": "only a region, country or other code too coarse for a neighbourhood",
    "unknown_code": "area code not known to the evidence store",
    "other": "other reasons (see the rejects file)",
}
PLACED_LABEL = "placed in the edition's areas (the per-head figures)"
NOT_GBP_LABEL = "in another currency, with no exchange rate given (no value in GBP)"


def unlocated_reason(note: str | None) -> str:
    """The one reason (a key of :data:`UNLOCATED_REASONS`) an unlocated grant's note gives.

    The postcode is tried last, so its problem is the deciding one when there is a postcode.

    >>> unlocated_reason("beneficiary E12000001 is a region code, too coarse for a "
    ...                  "neighbourhood; postcode SR1 1AA not in the lookup")
    'postcode_not_in_lookup'
    >>> unlocated_reason(None)
    'no_location'
    """
    text = note.lower() if isinstance(note, str) else ""
    if not text or "no beneficiary code, recipient location code or postcode" in text:
        return "no_location"
    for needle, reason in (
        ("no postcode lookup given", "postcode_not_looked_up"),
        ("has no codes in the lookup", "postcode_without_codes"),
        ("not in the lookup", "postcode_not_in_lookup"),
        ("malformed postcode", "malformed_postcode"),
        ("is unknown", "unknown_code"),
        ("too coarse", "coarse_code"),
        ("not used for placing", "coarse_code"),
        ("not a gss", "unknown_code"),
    ):
        if needle in text:
            return reason
    return "other"


def _money(pence: int) -> dict:
    return {"amount_pence": int(pence), "amount_gbp": round(int(pence) / 100, 2)}


def reconcile(
    grants: pd.DataFrame,
    populated_share: pd.Series,
    empty_share: pd.Series,
    no_population: set[str],
    nation_letter: str,
) -> dict:
    """The money reconciliation of ``grants`` (one row per grant).

    ``grants``: ``identifier, amount_gbp_pence`` (None: not GBP), ``currency, amount,
    location_method, location_geography, apportioned, country, location_note``;
    ``populated_share`` / ``empty_share``: identifier -> the share of the grant placed in the
    edition's areas with / without residents (missing: 0); ``no_population``: located grants
    whose code covers no resident; ``nation_letter``: the first letter of the edition's codes.
    """
    ids = grants["identifier"].astype(str)
    pence = pd.to_numeric(grants["amount_gbp_pence"], errors="coerce")
    gbp = pence.notna().to_numpy()
    p = pence.fillna(0).to_numpy(dtype=np.int64)
    located = (grants["location_method"] != "unlocated").to_numpy()
    la_only = (
        grants["location_geography"].isin(["ltla", "utla"]).to_numpy()
        & ~grants["apportioned"].astype(bool).to_numpy()
    )
    s = ids.map(populated_share).fillna(0.0).to_numpy(dtype=float).clip(0.0, 1.0)
    z = ids.map(empty_share).fillna(0.0).to_numpy(dtype=float)
    z = np.minimum(z.clip(0.0, 1.0), 1.0 - s)
    placeable = located & ~la_only & gbp
    placed = np.where(placeable, np.rint(p * s), 0).astype(np.int64)
    empty = np.where(placeable, np.minimum(np.rint(p * z).astype(np.int64), p - placed), 0)
    rest = p - placed - empty

    country = grants["country"].fillna("").astype(str).to_numpy()
    unpopulated = ids.isin(no_population).to_numpy()
    rest_reason = np.where(
        ~located,
        "unlocated",
        np.where(
            la_only,
            "local_authority_only",
            np.where(
                country != nation_letter,
                "other_nation",
                np.where(unpopulated, "no_population", "not_covered"),
            ),
        ),
    )
    # Where each grant is counted: the part that got most of its money (placed on a tie).
    part = np.where(placed >= np.maximum(empty, rest), "placed",
                    np.where(empty >= rest, "no_population", rest_reason))  # fmt: skip
    part = np.where(gbp, part, "not_gbp")
    unlocated_key = np.array([unlocated_reason(n) for n in grants["location_note"]], dtype=object)

    def count(mask) -> int:
        return int(np.count_nonzero(mask))

    outside: dict[str, dict] = {}
    for key, label in OUTSIDE_REASONS.items():
        money = int(rest[gbp & (rest_reason == key)].sum())
        if key == "no_population":
            money += int(empty[gbp].sum())
        n = count(part == key)
        if money or n:
            outside[key] = {"reason": key, "label": label, "grants": n, **_money(money)}
    unloc: dict[str, dict] = {}
    for key, label in UNLOCATED_REASONS.items():
        mask = gbp & ~located & (unlocated_key == key)
        money = int(rest[mask].sum())
        n = count(mask & (part == "unlocated"))
        if money or n:
            unloc[key] = {"reason": key, "label": label, "grants": n, **_money(money)}
    other = grants.loc[~gbp]
    by_currency = {
        str(c): round(float(a), 2) for c, a in other.groupby("currency")["amount"].sum().items()
    }
    total = int(p[gbp].sum())
    placed_total = int(placed.sum())
    out_total = sum(r["amount_pence"] for r in outside.values())
    unloc_total = sum(r["amount_pence"] for r in unloc.values())
    result = {
        "currency": "GBP",
        "total": {"grants": len(grants), **_money(total)},
        "placed": {
            "label": PLACED_LABEL,
            "grants": count(part == "placed"),
            **_money(placed_total),
        },
        "located_outside": {
            "grants": sum(r["grants"] for r in outside.values()),
            **_money(out_total),
            "reasons": list(outside.values()),
        },
        "unlocated": {
            "grants": sum(r["grants"] for r in unloc.values()),
            **_money(unloc_total),
            "reasons": list(unloc.values()),
        },
        "not_in_gbp": {"label": NOT_GBP_LABEL, "grants": count(~gbp), "by_currency": by_currency},
    }
    result["adds_up"] = placed_total + out_total + unloc_total == total and (
        result["placed"]["grants"] + result["located_outside"]["grants"]
        + result["unlocated"]["grants"] + result["not_in_gbp"]["grants"] == len(grants)
    )  # fmt: skip
    return result
