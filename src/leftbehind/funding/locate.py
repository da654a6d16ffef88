"""Where each grant lands: beneficiary geoCode, then recipient location, then recipient postcode.

Money is placed where it is spent, not at head office, in the order users ask for:

1. ``beneficiary``: the grant's beneficiary location geoCode (LSOA, MSOA, ward or local
   authority codes; a region or country code is too coarse to place money in a neighbourhood
   and falls through to the next step, with a note);
2. ``recipient_location``: a geoCode of the recipient organisation's location (including the
   ward/district that GrantNav adds from the recipient's postcode);
3. ``recipient_postcode``: the recipient's postcode through an NSPL/ONSPD lookup;
4. otherwise ``unlocated``, with the reasons.

Every grant records the method, the geography (``lsoa21``, ``lsoa11``, ``msoa``, ``ward``,
``ltla``, ``utla``, ``dz11``, ``iz11``) and the code; LSOA 2011 codes are converted to 2021
codes through the store's LSOA11->LSOA21 lookup where the mapping is one-to-one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from leftbehind.funding.postcodes import compact, normalise_postcode

# GSS prefix -> geography. Codes not listed are of no use for placing money.
PREFIX_GEOGRAPHY = {
    "E01": "lsoa", "W01": "lsoa",
    "E02": "msoa", "W02": "msoa",
    "E05": "ward", "W05": "ward", "S13": "ward", "N08": "ward",
    "E06": "ltla", "E07": "ltla", "E08": "ltla", "E09": "ltla", "W06": "ltla", "S12": "ltla",
    "N09": "ltla",
    "E10": "utla",
    "S01": "dz11", "S02": "iz11",
}  # fmt: skip
COARSE_PREFIXES = {
    "E12": "region", "E92": "country", "W92": "country", "S92": "country", "N92": "country",
    "K02": "United Kingdom", "K03": "Great Britain", "K04": "England and Wales",
    "E11": "metropolitan county", "E47": "combined authority", "E13": "inner/outer London",
    "E15": "European electoral region", "E40": "NHS region",
}  # fmt: skip
# Finer geographies first when a grant carries several codes.
EW_LSOA = {"E01", "W01"}
FINENESS = [
    "lsoa21",
    "lsoa11",
    "lsoa",
    "small_area",
    "dz11",
    "msoa",
    "iz11",
    "ward",
    "ltla",
    "utla",
]
COUNTRY_OF_PREFIX = {"E": "E", "W": "W", "S": "S", "N": "N"}
METHODS = ("beneficiary", "recipient_location", "recipient_postcode", "unlocated")
LA_GEOGRAPHIES = ("ltla", "utla")

# Postcode areas wholly outside England (Scotland, Wales, Northern Ireland, Crown dependencies).
NON_ENGLISH_AREAS = {
    "AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "ZE",
    "CF", "LD", "LL", "NP", "SA", "BT", "GY", "JE", "IM",
}  # fmt: skip

LOCATION_COLUMNS = [
    "location_method",
    "location_geography",
    "location_code",
    "lsoa21_code",
    "lsoa11_code",
    "ward_code",
    "ltla_code",
    "country",
    "location_note",
]


@dataclass
class GeoReference:
    """Known codes (to tell unknown codes) and the LSOA11->LSOA21 map. Empty sets: accept all."""

    lsoa21: set[str] = field(default_factory=set)
    lsoa11: set[str] = field(default_factory=set)
    msoa: set[str] = field(default_factory=set)
    ward: set[str] = field(default_factory=set)
    la: set[str] = field(default_factory=set)
    lsoa11_to_21: dict[str, list[str]] = field(default_factory=dict)
    lsoa21_to_11: dict[str, list[str]] = field(default_factory=dict)
    lsoa_to_ltla: dict[str, str] = field(default_factory=dict)

    def known(self, code: str, geography: str) -> bool:
        if code[0] not in "EW":  # other nations' codes are not in every lookup: accepted
            return True
        if geography == "lsoa":
            pools = (self.lsoa21, self.lsoa11)
        elif geography == "msoa":
            pools = (self.msoa,)
        elif geography == "ward":
            pools = (self.ward,)
        elif geography in LA_GEOGRAPHIES:
            pools = (self.la,)
        else:
            return True
        if not any(pools):  # no reference loaded: accept well-formed codes
            return True
        return any(code in pool for pool in pools)

    @classmethod
    def from_store(cls, con) -> GeoReference:
        """Build from the store's ``areas`` and lookup tables (whichever exist)."""
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        ref = cls()

        def codes(sql: str) -> set[str]:
            return {r[0] for r in con.execute(sql).fetchall() if r[0]}

        if "areas" in tables:
            by_type: dict[str, set[str]] = {}
            for code, kind in con.execute("SELECT code, type FROM areas").fetchall():
                by_type.setdefault(kind, set()).add(code)
            ref.lsoa21 |= by_type.get("lsoa21", set())
            ref.lsoa11 |= by_type.get("lsoa11", set())
            ref.msoa |= by_type.get("msoa11", set()) | by_type.get("msoa21", set())
            for kind in ("ward17", "ward21", "ward24"):
                ref.ward |= by_type.get(kind, set())
            for kind in ("ltla19", "ltla21", "ltla24", "utla19"):
                ref.la |= by_type.get(kind, set())
        if "lookup_lsoa11_lsoa21_ltla22" in tables:
            rows = con.execute(
                "SELECT lsoa11_code, lsoa21_code, ltla22_code FROM lookup_lsoa11_lsoa21_ltla22"
            ).fetchall()
            for l11, l21, la in rows:
                ref.lsoa11.add(l11)
                ref.lsoa21.add(l21)
                ref.la.add(la)
                ref.lsoa11_to_21.setdefault(l11, []).append(l21)
                ref.lsoa21_to_11.setdefault(l21, []).append(l11)
                ref.lsoa_to_ltla.setdefault(l21, la)
        if "lookup_lsoa21_ward24_ltla24" in tables:
            for l21, ward, la in con.execute(
                "SELECT lsoa21_code, ward24_code, ltla24_code FROM lookup_lsoa21_ward24_ltla24"
            ).fetchall():
                ref.lsoa21.add(l21)
                ref.ward.add(ward)
                ref.la.add(la)
                ref.lsoa_to_ltla[l21] = la
        for table, col in (
            ("lookup_lsoa11_ward17", "ward17_code"),
            ("lookup_ward21_ltla21", "ward21_code"),
            ("lookup_msoa11_ward17", "ward17_code"),
        ):
            if table in tables:
                ref.ward |= codes(f"SELECT DISTINCT {col} FROM {table}")
        if "lookup_lsoa11_msoa11" in tables:
            ref.msoa |= codes("SELECT DISTINCT msoa11_code FROM lookup_lsoa11_msoa11")
        if "lookup_lsoa11_ltla19" in tables:
            for l11, la in con.execute(
                "SELECT lsoa11_code, ltla19_code FROM lookup_lsoa11_ltla19"
            ).fetchall():
                ref.lsoa11.add(l11)
                ref.la.add(la)
                ref.lsoa_to_ltla.setdefault(l11, la)
        if "lookup_ward21_ltla21" in tables:
            ref.la |= codes("SELECT DISTINCT ltla21_code FROM lookup_ward21_ltla21")
        if "lookup_ltla19_utla19" in tables:
            ref.la |= codes("SELECT DISTINCT utla19_code FROM lookup_ltla19_utla19")
        return ref


def classify(code: str) -> tuple[str | None, str | None]:
    """(geography, None) for a usable code; (None, reason) otherwise."""
    prefix = code[:3]
    if prefix in PREFIX_GEOGRAPHY:
        return PREFIX_GEOGRAPHY[prefix], None
    if prefix in COARSE_PREFIXES:
        return None, f"{code} is a {COARSE_PREFIXES[prefix]} code, too coarse for a neighbourhood"
    if len(code) == 9 and code[0] in "EWSNK" and code[1:].isdigit():
        return None, f"{code} is a code of a geography not used for placing grants"
    return None, f"'{code}' is not a GSS geography code"


def postcode_area(postcode: str) -> str:
    key = compact(postcode)
    area = ""
    for ch in key:
        if not ch.isalpha():
            break
        area += ch
    return area


def postcode_country_guess(postcode: str | None) -> str | None:
    """'E' unless the postcode area lies wholly outside England (then None: unknown)."""
    if not postcode:
        return None
    return None if postcode_area(postcode) in NON_ENGLISH_AREAS else "E"


def _resolve_code(code: str, geography: str, ref: GeoReference) -> dict:
    """Location fields for a usable code (LSOA vintages resolved through the lookup)."""
    out = {
        "location_geography": geography,
        "location_code": code,
        "lsoa21_code": None,
        "lsoa11_code": None,
        "ward_code": None,
        "ltla_code": None,
        "country": COUNTRY_OF_PREFIX.get(code[0]),
    }
    if geography == "lsoa":
        in21 = code in ref.lsoa21 or not (ref.lsoa21 or ref.lsoa11)
        if in21:
            out["location_geography"] = "lsoa21"
            out["lsoa21_code"] = code
            olds = ref.lsoa21_to_11.get(code, [])
            out["lsoa11_code"] = olds[0] if len(olds) == 1 else None
        else:
            out["location_geography"] = "lsoa11"
            out["lsoa11_code"] = code
            news = ref.lsoa11_to_21.get(code, [])
            out["lsoa21_code"] = news[0] if len(news) == 1 else None
        out["ltla_code"] = ref.lsoa_to_ltla.get(code)
    elif geography == "ward":
        out["ward_code"] = code
    elif geography in LA_GEOGRAPHIES:
        out["ltla_code"] = code
    return out


def _from_codes(pairs, ref: GeoReference, notes: list[str], label: str) -> dict | None:
    best = None
    best_rank = len(FINENESS)
    for code, _declared in pairs:
        geography, reason = classify(code)
        if geography is None:
            notes.append(f"{label} {reason}")
            continue
        if not ref.known(code, geography):
            notes.append(f"{label} code {code} is unknown (not in the store's {geography} codes)")
            continue
        resolved = _resolve_code(code, geography, ref)
        rank = FINENESS.index(resolved["location_geography"])
        if rank < best_rank:
            best, best_rank = resolved, rank
    return best


def _from_postcode(
    postcode: str | None, raw: object, lookup: dict, notes: list[str]
) -> dict | None:
    if postcode is None:
        if raw is not None and compact(raw):
            notes.append(f"malformed postcode '{str(raw).strip()}'")
        return None
    if not lookup:
        notes.append(f"postcode {postcode} not looked up: no postcode lookup given (--postcodes)")
        return None
    row = lookup.get(compact(postcode))
    if row is None:
        district = postcode.split(" ")[0]
        if district[-1].isalpha():
            notes.append(
                f"postcode {postcode} not in the lookup (district {district} ends in a letter; "
                "such districts are missing from some lookups)"
            )
        else:
            notes.append(f"postcode {postcode} not in the lookup")
        return None
    lsoa21, lsoa11, ward, ltla, country = (
        row["lsoa21"],
        row["lsoa11"],
        row["ward"],
        row["ltla"],
        row["country"],
    )
    if lsoa21:
        geography, code = ("lsoa21" if lsoa21[:3] in EW_LSOA else "small_area"), lsoa21
    elif lsoa11:
        geography, code = ("lsoa11" if lsoa11[:3] in EW_LSOA else "small_area"), lsoa11
    elif ward:
        geography, code = "ward", ward
    elif ltla:
        geography, code = "ltla", ltla
    else:
        notes.append(f"postcode {postcode} has no codes in the lookup")
        return None
    country_code = country or ltla or ward or code
    return {
        "location_geography": geography,
        "location_code": code,
        "lsoa21_code": lsoa21 if geography == "lsoa21" else None,
        "lsoa11_code": lsoa11 if lsoa11 and lsoa11[:3] in EW_LSOA else None,
        "ward_code": ward,
        "ltla_code": ltla,
        "country": COUNTRY_OF_PREFIX.get(country_code[0]),
    }


def locate(
    grants: pd.DataFrame, lookup: pd.DataFrame | None = None, ref: GeoReference | None = None
) -> pd.DataFrame:
    """Location columns (``LOCATION_COLUMNS``) for each row of a ``threesixty`` frame.

    ``lookup``: a ``postcodes.read_lookup`` frame; ``ref``: known codes (default: accept all).
    Also returns ``recipient_postcode`` normalised (None when malformed).
    """
    ref = ref or GeoReference()
    table: dict[str, dict] = {}
    if lookup is not None and len(lookup):
        table = {rec["postcode_key"]: rec for rec in lookup.to_dict("records")}
    out = []
    for bene, rloc, raw_pc in zip(
        grants["beneficiary_locations"],
        grants["recipient_locations"],
        grants["recipient_postcode"],
        strict=True,
    ):
        notes: list[str] = []
        postcode = normalise_postcode(raw_pc)
        found = None
        method = "unlocated"
        if bene and (found := _from_codes(bene, ref, notes, "beneficiary")):
            method = "beneficiary"
        elif rloc and (found := _from_codes(rloc, ref, notes, "recipient location")):
            method = "recipient_location"
        elif found := _from_postcode(postcode, raw_pc, table, notes):
            method = "recipient_postcode"
        if found is None:
            if not notes:
                notes.append("no beneficiary code, recipient location code or postcode")
            found = {c: None for c in LOCATION_COLUMNS}
            found["country"] = postcode_country_guess(postcode) or _country_of_codes(bene, rloc)
        row = {**found, "location_method": method, "location_note": "; ".join(notes) or None}
        row["recipient_postcode_normalised"] = postcode
        out.append(row)
    frame = pd.DataFrame(
        out,
        columns=[*LOCATION_COLUMNS, "recipient_postcode_normalised"],
        index=grants.index,
        dtype=object,
    )
    return frame


def _country_of_codes(*code_lists) -> str | None:
    for pairs in code_lists:
        for code, _ in pairs or []:
            if code[:1] in COUNTRY_OF_PREFIX and code[:3] not in {"K02", "K03", "K04"}:
                return code[0]
    return None
