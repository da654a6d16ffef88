"""Across the UK: every area on mySociety's composite UK index, and how the 'left behind' areas
of each nation compare on that one scale (:mod:`leftbehind.indices.uk` builds the tables)."""

from __future__ import annotations

import threading
from typing import Any

from leftbehind.editions import EDITIONS, get_edition
from leftbehind.i18n import N_, format_number
from leftbehind.i18n import gettext as _
from leftbehind.indices import uk
from leftbehind.wording import nation_fields

#: One edition per nation for the UK summary's headline comparison (the report's own ward
#: edition for England), in the order shown.
HEADLINE_EDITIONS = (
    "england-2019-ward",
    "wales-2022-msoa",
    "scotland-2022-iz",
    "northern-ireland-2022-soa",
)
GROUP_WORDS = {
    "left_behind": N_("'Left behind' areas"),
    "other_deprived": N_("Other deprived areas"),
    "rest": N_("Other areas"),
    "all": N_("All areas"),
}
#: Each nation's headline on the UK scale (a whole sentence; see :mod:`leftbehind.wording`
#: for {in_nation}).
NATION_SENTENCE = N_(
    "In {nation}, {with_10} of the {areas} 'left behind' {area_words} have at least one of "
    "their {many} among the UK's most deprived tenth; {share} of their {count} {many} "
    "are, against {share_all} of all {nation}'s {many}."
)
NOTE = N_(
    "Counts are of small areas, not people: the store does not hold every nation's small-area "
    "populations. Each nation's own index remains the better measure within the nation."
)
SUMMARY_CSV_COLUMNS = [
    "edition", "nation", "group", "areas", "small_areas", "share_10", "share_20",
    "areas_with_10", "median_rank",
]  # fmt: skip


class UKIndex:
    """The UK-wide index per area and summarised per nation, read once from the store."""

    def __init__(self, obs: Any):
        self.obs = obs
        self._lock = threading.Lock()
        self._areas: dict[tuple[str, str], dict[str, Any]] | None = None
        self._summary: list[dict[str, Any]] | None = None
        self._las: dict[str, dict[str, Any]] = {}
        self._total = 0

    def _load(self) -> None:
        if self._areas is not None:
            return
        con = self.obs.connection()
        try:
            fields = ("small_areas", "uk_rank", "uk_decile", "most_deprived_10", "most_deprived_20")
            areas = {
                (row[0], row[1]): dict(zip(fields, row[2:], strict=True))
                for row in con.execute(
                    f"""SELECT edition, code, small_areas, uk_rank, uk_decile, most_deprived_10,
                        most_deprived_20 FROM {uk.AREAS_TABLE}"""
                ).fetchall()
            }
            cur = con.execute(f"SELECT * FROM {uk.SUMMARY_TABLE}")
            names = [d[0] for d in cur.description]
            summary = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            total = con.execute(f"SELECT count(*) FROM {uk.SMALL_TABLE}").fetchone()[0]
            cur = con.execute(f"SELECT * FROM {uk.LA_TABLE}")
            names = [d[0] for d in cur.description]
            las = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
        finally:
            con.close()
        with self._lock:
            if self._areas is None:
                self._summary, self._total, self._las = summary, int(total), las
                self._areas = areas

    def area(self, edition: str | None, code: str) -> dict[str, Any] | None:
        """The area's place on the UK-wide index, or None where the index has no small area
        for it."""
        data, rec = self.obs.area(edition, code)
        self._load()
        row = self._areas.get((data.id, rec["code"]))
        if row is None:
            return None
        ed = get_edition(data.id)
        one, many = uk.small_area_words(ed)
        name = rec.get("name") or rec["code"]
        return {
            "code": rec["code"],
            "name": name,
            "edition": data.id,
            "nation": ed.nation,
            **row,
            "small_areas_in_uk": self._total,
            "small_area_word": one,
            "small_area_words": many,
            "sentences": uk.area_sentences(ed, name, row, self._total),
            "method": uk.METHOD,
            "source": uk.CREDIT,
            "licence": "CC BY 4.0",
            "summary_url": "/uk",
        }

    def local_authority(self, edition: str | None, code: str) -> dict[str, Any] | None:
        """A local authority on mySociety's UK-wide council summary, or None where mySociety
        does not list it (councils replaced since, such as Wycombe in 2020)."""
        data, la = self.obs.local_authority(edition, code)
        self._load()
        row = self._las.get(la["code"])
        if row is None:
            return None
        return {
            **row,
            "edition": data.id,
            "sentence": uk.la_sentence(row),
            "method": uk.METHOD,
            "source": uk.CREDIT,
            "licence": "CC BY 4.0",
            "summary_url": "/uk",
        }

    def summary(self) -> dict[str, Any]:
        """Every edition's groups on the UK-wide index, and per nation a headline sentence on
        its 'left behind' areas."""
        self._load()
        rows = [
            {**r, "share_10": _round(r["share_10"]), "share_20": _round(r["share_20"])}
            for r in self._summary
        ]
        order = {e: i for i, e in enumerate(EDITIONS)}
        rows.sort(key=lambda r: (order.get(r["edition"], 99), uk.SUMMARY_GROUPS.index(r["group"])))
        by_key = {(r["edition"], r["group"]): r for r in rows}
        nations = []
        for edition in HEADLINE_EDITIONS:
            ed = get_edition(edition)
            lb, everyone = by_key.get((edition, "left_behind")), by_key.get((edition, "all"))
            if lb is None or everyone is None:
                continue
            many = uk.small_area_words(ed)[1]
            nations.append(
                {
                    "edition": edition,
                    "nation": ed.nation,
                    "area_words": ed.area_words,
                    "left_behind": lb,
                    "all": everyone,
                    "sentence": _(NATION_SENTENCE).format(
                        with_10=format_number(lb["areas_with_10"]),
                        areas=format_number(lb["areas"]),
                        many=_(many),
                        share=_percent(lb["share_10"]),
                        count=format_number(lb["small_areas"]),
                        share_all=_percent(everyone["share_10"]),
                        **nation_fields(ed),
                    ),
                }
            )
        return {
            "small_areas_in_uk": self._total,
            "nations": nations,
            "rows": rows,
            "columns": SUMMARY_CSV_COLUMNS,
            "group_words": {k: _(v) for k, v in GROUP_WORDS.items()},
            "method": _(uk.METHOD),
            "source": _(uk.CREDIT),
            "licence": "CC BY 4.0",
            "note": _(NOTE),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _percent(share: float | None) -> str:
    return _("no") if share is None else f"{format_number(round(share * 100))}%"
