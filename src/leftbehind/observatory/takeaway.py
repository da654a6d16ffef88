"""Charts to take away: every chart the site draws, as SVG, PNG and the CSV of its numbers.

A chart is named by a *kind*. Area charts belong to one area of an edition (its profile, its
trend since 2004); edition charts to a whole edition (how robust each area's status is, the
three futures of one period). The web layer serves each as ``.svg``, ``.png`` and ``.csv`` and as
an embeddable page; the CLI and briefings can use the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leftbehind.errors import UnknownName

#: Area charts: kind -> what it shows (its caption on embed pages).
AREA_CHARTS = {
    "profile": "position on each dimension from 0 (least need) to 100 (most need), against "
    "'left behind' and other deprived areas",
    "trend": "national deprivation percentile in every Index of Multiple Deprivation since "
    "2004, with its group's median and the England median",
}
#: Edition charts: kind -> what it shows; ``futures-{start}-{end}`` names one period.
EDITION_CHARTS = {
    "robustness": "how often each area is 'left behind' across plausible ways of measuring, "
    "against its headline rank",
    "futures": "share of residents of each group by future (falling behind, keeping pace, "
    "closing the gap)",
}
#: The profile chart's data: per dimension the area's need percentile and the groups'.
CHART_CSV_COLUMNS = [
    "code", "name", "edition", "dimension_id", "dimension", "area", "left_behind",
    "other_deprived", "nation",
]  # fmt: skip
FUTURES_CSV_COLUMNS = [
    "edition", "start", "end", "group", "group_label", "future", "future_label", "areas",
    "population", "population_share",
]  # fmt: skip


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, its numbers (``rows`` in ``columns`` order) and names for files."""

    kind: str
    edition: str
    code: str | None
    title: str
    caption: str
    svg: str
    rows: list[dict[str, Any]]
    columns: list[str]

    @property
    def stem(self) -> str:
        """File name without extension: ``leftbehind-{edition}[-{code}]-{kind}``."""
        parts = ["leftbehind", self.edition, *([self.code] if self.code else []), self.kind]
        return "-".join(parts)

    def filename(self, ext: str) -> str:
        return f"{self.stem}.{ext}"


def _unknown(kind: str, known: list[str], what: str) -> UnknownName:
    return UnknownName(f"there is no {what} chart called '{kind}'; use one of: {', '.join(known)}")


class TakeawayCharts:
    """The charts of an :class:`~leftbehind.observatory.service.Observatory`."""

    def __init__(self, obs: Any):
        self.obs = obs

    # -- area charts ----------------------------------------------------------------------------
    def area(self, kind: str, edition: str | None, code: str) -> Chart:
        """An area's chart of this kind; :class:`UnknownName` (404) when it has none."""
        if kind == "profile":
            return self._profile(edition, code)
        if kind == "trend":
            return self._trend(edition, code)
        raise _unknown(kind, list(AREA_CHARTS), "area")

    def _profile(self, edition: str | None, code: str) -> Chart:
        prof, _ = self.obs.profile(edition, code)
        svg = self.obs.chart(prof)
        if svg is None:
            raise UnknownName(f"there is no profile chart for {code}: its edition has no profile")
        return Chart(
            kind="profile",
            edition=prof["edition"],
            code=prof["code"],
            title=f"{prof.get('name') or prof['code']}: nine dimensions of disadvantage",
            caption=AREA_CHARTS["profile"],
            svg=svg,
            rows=self.obs.chart_rows(prof),
            columns=CHART_CSV_COLUMNS,
        )

    def _trend(self, edition: str | None, code: str) -> Chart:
        from leftbehind.observatory.trend import AREA_CSV_COLUMNS

        data, rec = self.obs.area(edition, code)
        trend = self.obs.trends.area_for_page(data.id, rec["code"])
        if trend is None:
            raise UnknownName(
                f"there is no trend chart for {rec['code']} in edition {data.id}: trends since "
                "2004 cover England's wards and neighbourhoods (LSOAs)"
            )
        return Chart(
            kind="trend",
            edition=data.id,
            code=rec["code"],
            title=f"{rec.get('name') or rec['code']}: change over time, 2004 to 2025",
            caption=AREA_CHARTS["trend"],
            svg=trend["chart_svg"],
            rows=self.obs.trends.area_rows(trend),
            columns=AREA_CSV_COLUMNS,
        )

    # -- edition charts -------------------------------------------------------------------------
    def edition(self, kind: str, edition: str | None) -> Chart:
        """An edition's chart of this kind; :class:`UnknownName` (404) when it has none."""
        if kind == "robustness":
            return self._robustness(edition)
        if kind.startswith("futures-"):
            return self._futures(edition, kind)
        raise _unknown(kind, ["robustness", "futures-{start}-{end}"], "edition")

    def _robustness(self, edition: str | None) -> Chart:
        from leftbehind.robustness.results import AREA_COLUMNS, stored_result

        data = self.obs.edition(edition)
        overview = self.obs.robustness_overview(data.id)
        if overview is None:
            raise UnknownName(
                f"edition {data.id} has no stored uncertainty analysis, so no robustness chart"
            )
        con = self.obs.connection()
        try:
            result = stored_result(con, data.id)
        finally:
            con.close()
        frame = result.areas[AREA_COLUMNS] if result is not None else None
        rows = [] if frame is None else frame.to_dict("records")
        return Chart(
            kind="robustness",
            edition=data.id,
            code=None,
            title=f"How robust is each area's 'left behind' status? ({data.label})",
            caption=EDITION_CHARTS["robustness"],
            svg=overview["svg"],
            rows=rows,
            columns=AREA_COLUMNS,
        )

    def _futures(self, edition: str | None, kind: str) -> Chart:
        from leftbehind.trend.charts import futures_svg

        data = self.obs.edition(edition)
        doc = self.obs.trends.summary_for_page(data.id)
        periods = {f"futures-{p['start']}-{p['end']}": p for p in (doc or {}).get("periods", [])}
        period = periods.get(kind)
        if doc is None or period is None:
            known = ", ".join(periods) or "none: trends cover England's two editions"
            raise UnknownName(f"edition {data.id} has no chart '{kind}'; its periods: {known}")
        labels = doc["future_labels"]
        rows = [
            {
                "edition": data.id,
                "start": period["start"],
                "end": period["end"],
                "group": g.get("group"),
                "group_label": g.get("label"),
                "future": f,
                "future_label": labels[f],
                "areas": g["futures"][f].get("areas"),
                "population": g["futures"][f].get("population"),
                "population_share": g["futures"][f].get("population_share"),
            }
            for g in period["groups"]
            for f in labels
        ]
        return Chart(
            kind=kind,
            edition=data.id,
            code=None,
            title=f"Three futures, IMD {period['start']} to {period['end']} ({data.label})",
            caption=EDITION_CHARTS["futures"],
            svg=futures_svg(period, labels, uid=kind),
            rows=rows,
            columns=FUTURES_CSV_COLUMNS,
        )
