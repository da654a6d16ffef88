"""Plain-language summaries of a profile.

Short sentences a resident would use, each backed by one number and its source, strengths
first. Sentences describe places and circumstances, never people ('children living in
low-income families', not 'poor children').
"""

from __future__ import annotations

from leftbehind.editions import EDITIONS
from leftbehind.i18n import N_, capitalise, format_number
from leftbehind.i18n import gettext as _
from leftbehind.profiles import values

#: How to say each share, in whole sentences (each translated as one): (compared with the
#: nation, the same as the nation, none here). Placeholders: {share} and {Share} (the share
#: here in words, e.g. 'about 1 in 3', and capitalised), {there} (the nation's), {nation}.
#: The key is the indicator id without its edition prefix.
SHARE_SENTENCES: dict[str, tuple[str, str, str]] = {
    "income": (
        N_("{Share} people here live on a low income, compared with {there} across {nation}."),
        N_("{Share} people here live on a low income, the same as across {nation}."),
        N_("None of the people here live on a low income, compared with {there} across {nation}."),
    ),
    "idaci": (
        N_(
            "{Share} children here live in families on a low income, compared with "
            "{there} across {nation}."
        ),
        N_("{Share} children here live in families on a low income, the same as across {nation}."),
        N_(
            "None of the children here live in families on a low income, compared "
            "with {there} across {nation}."
        ),
    ),
    "idaopi": (
        N_(
            "{Share} people aged 60 or more here live on a low income, compared with "
            "{there} across {nation}."
        ),
        N_(
            "{Share} people aged 60 or more here live on a low income, the same as across {nation}."
        ),
        N_(
            "None of the people aged 60 or more here live on a low income, compared "
            "with {there} across {nation}."
        ),
    ),
    "employment": (
        N_(
            "{Share} adults of working age here are out of work or too ill to work, "
            "compared with {there} across {nation}."
        ),
        N_(
            "{Share} adults of working age here are out of work or too ill to work, "
            "the same as across {nation}."
        ),
        N_(
            "None of the adults of working age here are out of work or too ill to "
            "work, compared with {there} across {nation}."
        ),
    ),
    "income_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "income, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "income, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for income, compared with {there} across {nation}."
        ),
    ),
    "employment_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "work, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "work, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for work, compared with {there} across {nation}."
        ),
    ),
    "access_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "access to services, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "access to services, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for access to services, compared with {there} across {nation}."
        ),
    ),
    "adult_skills": (
        N_(
            "{Share} adults here have few or no qualifications, compared with {there}"
            " across {nation}."
        ),
        N_("{Share} adults here have few or no qualifications, the same as across {nation}."),
        N_(
            "None of the adults here have few or no qualifications, compared with "
            "{there} across {nation}."
        ),
    ),
    "staying_on": (
        N_("{Share} young people here leave school at 16, compared with {there} across {nation}."),
        N_("{Share} young people here leave school at 16, the same as across {nation}."),
        N_(
            "None of the young people here leave school at 16, compared with {there} "
            "across {nation}."
        ),
    ),
    "households_deprived": (
        N_(
            "{Share} homes here face hard times in at least one way, such as work, "
            "health or housing, compared with {there} across {nation}."
        ),
        N_(
            "{Share} homes here face hard times in at least one way, such as work, "
            "health or housing, the same as across {nation}."
        ),
        N_(
            "None of the homes here face hard times in at least one way, such as "
            "work, health or housing, compared with {there} across {nation}."
        ),
    ),
    "disabled": (
        N_("{Share} people here have a disability, compared with {there} across {nation}."),
        N_("{Share} people here have a disability, the same as across {nation}."),
        N_("None of the people here have a disability, compared with {there} across {nation}."),
    ),
    "education_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "schools and skills, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "schools and skills, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for schools and skills, compared with {there} across {nation}."
        ),
    ),
    "children_education": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "school results, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "school results, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for school results, compared with {there} across {nation}."
        ),
    ),
    "health_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "health, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "health, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for health, compared with {there} across {nation}."
        ),
    ),
    "travel_barriers": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "distance to shops and services, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "distance to shops and services, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for distance to shops and services, compared with {there} across "
            "{nation}."
        ),
    ),
    "crime_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "crime, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "crime, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for crime, compared with {there} across {nation}."
        ),
    ),
    "housing_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "housing and services, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "housing and services, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for housing and services, compared with {there} across {nation}."
        ),
    ),
    "environment_domain": (
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "the local setting, compared with {there} across {nation}."
        ),
        N_(
            "{Share} people here live in a part of {nation} in the worst tenth for "
            "the local setting, the same as across {nation}."
        ),
        N_(
            "None of the people here live in a part of {nation} in the worst tenth "
            "for the local setting, compared with {there} across {nation}."
        ),
    ),
    "overcrowding": (
        N_(
            "{Share} homes here are too full for the people who live there, compared "
            "with {there} across {nation}."
        ),
        N_(
            "{Share} homes here are too full for the people who live there, the same "
            "as across {nation}."
        ),
        N_(
            "None of the homes here are too full for the people who live there, "
            "compared with {there} across {nation}."
        ),
    ),
    "no_central_heating": (
        N_("{Share} homes here have no central heating, compared with {there} across {nation}."),
        N_("{Share} homes here have no central heating, the same as across {nation}."),
        N_(
            "Every home here has central heating, compared with {there} without it across {nation}."
        ),
    ),
}
#: Distances by road, with {km} (here) and {nation_km} (the nation's average).
DISTANCE_SENTENCES: dict[str, str] = {
    "gp_distance": N_(
        "By road, a GP is {km} km away on average, compared with {nation_km} km across {nation}."
    ),
    "school_distance": N_(
        "By road, a primary school is {km} km away on average, compared with "
        "{nation_km} km across {nation}."
    ),
    "post_office_distance": N_(
        "By road, a post office is {km} km away on average, compared with {nation_km}"
        " km across {nation}."
    ),
    "shop_distance": N_(
        "By road, a food shop is {km} km away on average, compared with {nation_km} "
        "km across {nation}."
    ),
}
#: Standardised ratios, compared with the nation's own value (which is not 100): (about the
#: same, higher: {times} times, lower: {percent}% of the nation's rate); {here} and {there} are
#: the two ratios.
RATIO_SENTENCES: dict[str, tuple[str, str, str]] = {
    "emergency_hospital": (
        N_(
            "Emergency stays in hospital are about the same as across {nation} "
            "({here} here, {there} across {nation})."
        ),
        N_(
            "Emergency stays in hospital are {times} times the {nation} rate ({here} "
            "here, {there} across {nation})."
        ),
        N_(
            "Emergency stays in hospital are lower than across {nation}, at "
            "{percent}% of the {nation} rate ({here} here, {there} across {nation})."
        ),
    ),
    "illness_disability": (
        N_(
            "Claims for illness and disability benefits are about the same as across "
            "{nation} ({here} here, {there} across {nation})."
        ),
        N_(
            "Claims for illness and disability benefits are {times} times the "
            "{nation} rate ({here} here, {there} across {nation})."
        ),
        N_(
            "Claims for illness and disability benefits are lower than across "
            "{nation}, at {percent}% of the {nation} rate ({here} here, {there} "
            "across {nation})."
        ),
    ),
}
#: Scores compared by rank: (worse, better) than in {tenths} (e.g. '9 in 10') of the {places}.
RANK_SENTENCES: dict[str, tuple[str, str]] = {
    "higher_education": (
        N_("Here, going on to university is less common than in {tenths} {places}."),
        N_("Here, going on to university is more common than in {tenths} {places}."),
    ),
    "early_death": (
        N_("Here, early deaths are more common than in {tenths} {places}."),
        N_("Here, early deaths are less common than in {tenths} {places}."),
    ),
    "mood_anxiety": (
        N_("Here, mood and anxiety problems are more common than in {tenths} {places}."),
        N_("Here, mood and anxiety problems are less common than in {tenths} {places}."),
    ),
    "mental_health": (
        N_("Here, mental health problems are more common than in {tenths} {places}."),
        N_("Here, mental health problems are less common than in {tenths} {places}."),
    ),
    "civic_assets": (
        N_("Here, the need for places to meet is greater than in {tenths} {places}."),
        N_("Here, the need for places to meet is smaller than in {tenths} {places}."),
    ),
    "engaged_community": (
        N_("Here, the need for local groups and events is greater than in {tenths} {places}."),
        N_("Here, the need for local groups and events is smaller than in {tenths} {places}."),
    ),
    "connectedness": (
        N_("Here, the need for better transport and links is greater than in {tenths} {places}."),
        N_("Here, the need for better transport and links is smaller than in {tenths} {places}."),
    ),
    "air_quality": (
        N_("Here, air pollution is worse than in {tenths} {places}."),
        N_("Here, air pollution is better than in {tenths} {places}."),
    ),
    "loneliness": (
        N_(
            "Here, prescribing for conditions linked to loneliness is more common "
            "than in {tenths} {places}."
        ),
        N_(
            "Here, prescribing for conditions linked to loneliness is less common "
            "than in {tenths} {places}."
        ),
    ),
}
#: Plural words for the geographies of profiles: each profiled edition's own geography in its
#: declared ``Edition.area_words``, then the other geographies profiles cover (translated where
#: used; the catalogue has each word).
PLURAL = {
    **{e.geography: e.area_words for e in EDITIONS.values() if e.profile is not None},
    "ward24": N_("wards"),
    "lsoa11": N_("neighbourhoods"),
    "ltla19": N_("council areas"),
    "ltla24": N_("council areas"),
    "ltla20": N_("council areas"),
    "lgd14": N_("council areas"),
    "dz11": N_("data zones"),
    "region": N_("regions"),
}
#: Words never used about people (tested).
DEFICIT_WORDS = (
    "deprived people",
    "poor people",
    "the poor",
    "vulnerable people",
    "disadvantaged people",
    "underclass",
    "feckless",
    "scroungers",
    "unskilled people",
    "uneducated",
    "workless families",
)

#: The kinds of area the opening sentence names (``values.TYPE_WORDS`` before any bracket).
KIND_MESSAGES = (
    N_("neighbourhood"),
    N_("ward"),
    N_("local authority"),
    N_("data zone"),
    N_("intermediate zone"),
    N_("super output area"),
    N_("council area"),
    N_("local government district"),
    N_("region"),
    N_("custom area"),
    N_("place"),
    N_("areas"),
    N_("ONS mid-2019 LSOA population estimates"),
    N_("NRS mid-2020 data zone population estimates"),
    N_("ONS population estimates"),
)

#: The sentences that frame the summary (whole, translated as one).
OPENING_SENTENCES = {
    "no_population": N_(
        "{name} is a {kind}{where} with no population estimate and no boundary of its own "
        "here: no small area (LSOA) has its best fit in it, so the people who live here are "
        "counted in the neighbouring {places}, and there is no data for its profile."
    ),
    "custom": N_(
        "This area is made of {small_areas} small areas, home to about {population} people."
    ),
    "uncounted_in": N_("{name} is {a_kind} in {where}."),
    "uncounted": N_("{name} is {a_kind}."),
    "in": N_("{name} is {a_kind} in {where}, home to about {population} people."),
    "plain": N_("{name} is home to about {population} people."),
}
STRENGTHS_SENTENCE = N_("Here is where this place does well.")
CHALLENGES_SENTENCE = N_("Here is where it faces the biggest challenges.")
AVERAGE_SENTENCE = N_("On most measures here, this place is close to the {nation} average.")
GROUP_SENTENCES = {
    "left_behind": N_(
        "It is one of the places the report calls 'left behind': "
        "high need, and few places and groups to bring people together."
    ),
    "other_deprived": N_(
        "It has high need, like the places the report calls 'left behind', "
        "but more places and groups to bring people together."
    ),
}
GROUP_SOURCE = N_("Community Needs Index and Index of Deprivation")
NO_GRANTS_SENTENCE = N_("There is no data yet on grant money for this place.")
NO_GRANTS_SOURCE = N_("360Giving grants (not yet imported)")
GP_PATIENTS_SENTENCE = N_(
    "Each GP here has about {value} patients, compared with {there} across {nation}."
)
CRIME_SENTENCE = N_(
    "There are about {value} cases of criminal damage for every 1,000 people each year, "
    "compared with {there} across {nation}."
)


def stem(indicator_id: str) -> str:
    return indicator_id.split("_", 1)[1]


def in_words(share: float) -> str:
    """0.32 -> 'about 1 in 3'; 0.7 -> 'about 7 in 10'; 0.004 -> 'fewer than 1 in 100' (in the
    current language)."""
    if share <= 0:
        return _("none")
    if share < 0.01:
        return _("fewer than 1 in 100")
    if share >= 0.995:
        return _("all")
    if share > 0.5:
        return _("about {n} in {d}").format(n=round(share * 10), d=10)
    n = round(1 / share)
    if n > 20:
        return _per_100(share)
    if n == 1:
        return _("about {n} in {d}").format(n=1, d=2)
    return _("about {n} in {d}").format(n=1, d=n)


def _per_100(share: float) -> str:
    return _("about {n} in {d}").format(n=round(share * 100), d=100)


def _tenths(pct: float) -> str:
    n = max(1, min(9, round(pct / 10)))
    return _("{n} in {d}").format(n=n, d=10)


def _population_source(result: dict) -> str:
    edition = EDITIONS.get(result.get("edition") or "")
    spec = edition.profile if edition is not None else None
    return _(spec.population_source if spec is not None else "ONS population estimates")


def _article(word: str) -> str:
    """'a ward', 'an intermediate zone' (English; a translation need not use it)."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _one_decimal(value: float) -> str:
    return format_number(value, 1)


def _sentence(
    ind: dict, area_type: str, nation: str = "England", counted: bool = True
) -> str | None:
    """One sentence about an indicator, compared with the nation (``counted``: the edition has
    small-area populations, so shares are shares of people). ``nation`` is the nation's name
    in the current language."""
    value, unit = ind["value"], ind["unit"]
    england = ind["comparators"].get("nation")
    key = stem(ind["id"])
    if value is None:
        return None
    if unit == "share" and key in SHARE_SENTENCES and england is not None and counted:
        compared, same, none = SHARE_SENTENCES[key]
        here, there = in_words(value), in_words(england)
        if value <= 0:
            return _(none).format(there=there, nation=nation)
        if here == there and abs(value - england) > 0.1 * max(value, england):
            here, there = _per_100(value), _per_100(england)
        template = same if here == there else compared
        return _(template).format(share=here, Share=capitalise(here), there=there, nation=nation)
    if unit == "km" and key in DISTANCE_SENTENCES and england is not None:
        return _(DISTANCE_SENTENCES[key]).format(
            km=_one_decimal(value), nation_km=_one_decimal(england), nation=nation
        )
    if unit == "ratio_100" and key in RATIO_SENTENCES and england:
        # A standardised ratio: compared with the nation's own value (118.7 for emergency stays
        # in 2019, not 100), never with the nominal 100.
        times = value / england
        about, higher, lower = RATIO_SENTENCES[key]
        fields = {
            "here": _one_decimal(value),
            "there": _one_decimal(england),
            "nation": nation,
            "times": format_number(times, 2),
            "percent": format_number(round(times * 100)),
        }
        if abs(times - 1) < 0.05:
            return _(about).format(**fields)
        return _(higher if times >= 1 else lower).format(**fields)
    if unit == "count" and england is not None:
        return _(GP_PATIENTS_SENTENCE).format(
            value=format_number(value), there=format_number(england), nation=nation
        )
    if unit == "per_1000" and england is not None:
        return _(CRIME_SENTENCE).format(
            value=format_number(value), there=format_number(england), nation=nation
        )
    if key in RANK_SENTENCES and ind.get("need_percentile") is not None:
        worse, better = RANK_SENTENCES[key]
        places = _(PLURAL.get(area_type, N_("areas")))
        need = ind["need_percentile"]
        if need >= 50:
            return _(worse).format(tenths=_tenths(need), places=places)
        return _(better).format(tenths=_tenths(100 - need), places=places)
    return None


def _gap(ind: dict) -> float | None:
    need = ind.get("need_percentile")
    nation = (ind.get("comparator_percentiles") or {}).get("nation")
    if need is None or nation is None:
        return None
    nation_need = nation if ind["direction"] == "higher_is_worse" else 100 - nation
    return need - nation_need


def _opening(result: dict, area_type: str, counted: bool) -> str:
    name = result["name"]
    where = result.get("local_authority") or {}
    population = result.get("population") or 0
    kind = _(values.TYPE_WORDS.get(area_type, "place").split(" (")[0])
    if not population and not result.get("small_areas"):
        # A ward no small area has its best fit in (a few 2019 wards): no people are counted
        # here and there is no boundary, so say so instead of 'home to about 0 people'.
        where_words = _(" in {where}").format(where=where["name"]) if where.get("name") else ""
        return _(OPENING_SENTENCES["no_population"]).format(
            name=name, kind=kind, where=where_words, places=_(PLURAL.get(area_type, "areas"))
        )
    if area_type == "custom":
        return _(OPENING_SENTENCES["custom"]).format(
            small_areas=format_number(result["small_areas"]),
            population=format_number(result["population"]),
        )
    fields = {
        "name": name,
        "kind": kind,
        "a_kind": _article(kind),
        "where": where.get("name") or "",
        "population": format_number(population),
    }
    if not counted:
        # No small-area population is mirrored for the edition (Northern Ireland).
        which = "uncounted_in" if where.get("name") and where["name"] != name else "uncounted"
        return _(OPENING_SENTENCES[which]).format(**fields)
    if where.get("name") and where.get("name") != name:
        return _(OPENING_SENTENCES["in"]).format(**fields)
    return _(OPENING_SENTENCES["plain"]).format(**fields)


def _heading(text: str) -> dict:
    return {"text": text, "indicator": None, "value": None, "england": None, "source": None}


def summarise(result: dict, strengths: int = 3, challenges: int = 4) -> list[dict]:
    """Sentences for a profile, each a dict {text, indicator, value, england, source}, in the
    current language (:mod:`leftbehind.i18n`)."""
    area_type = result["type"]
    reference = area_type if area_type in PLURAL else "custom"
    nation = _(result.get("nation") or "England")
    counted = result.get("population") is not None
    out: list[dict] = [
        {
            "text": _opening(result, area_type, counted),
            "indicator": None,
            "value": result["population"] or None,
            "england": None,
            "source": _population_source(result) if counted else None,
        }
    ]

    scored = []
    for dim in result["dimensions"]:
        for ind in dim["indicators"]:
            gap = _gap(ind)
            text = _sentence(ind, reference, nation, counted)
            if gap is None or text is None:
                continue
            scored.append((gap, dim["id"], ind, text))
    good = sorted((s for s in scored if s[0] <= -15), key=lambda s: s[0])
    bad = sorted((s for s in scored if s[0] >= 15), key=lambda s: -s[0])

    def take(items: list, limit: int) -> list:
        chosen, dims = [], set()
        for item in items:  # one sentence per dimension first
            if item[1] not in dims:
                chosen.append(item)
                dims.add(item[1])
            if len(chosen) == limit:
                break
        return chosen

    picked_good = take(good, strengths)
    if picked_good:
        out.append(_heading(_(STRENGTHS_SENTENCE)))
    for _gap_value, _dim, ind, text in picked_good:
        out.append(_item(text, ind))
    picked_bad = take(bad, challenges)
    if picked_bad:
        out.append(_heading(_(CHALLENGES_SENTENCE)))
    for _gap_value, _dim, ind, text in picked_bad:
        out.append(_item(text, ind))
    if not picked_good and not picked_bad and scored:
        out.append(_heading(_(AVERAGE_SENTENCE).format(nation=nation)))

    group = result.get("group")
    if group in GROUP_SENTENCES:
        out.append(
            {
                "text": _(GROUP_SENTENCES[group]),
                "indicator": "group",
                "value": group,
                "england": None,
                "source": _(GROUP_SOURCE),
            }
        )
    funding = next((d for d in result["dimensions"] if d["id"] == "funding"), None)
    if funding and funding.get("status") == "no_data":
        out.append(
            {
                "text": _(NO_GRANTS_SENTENCE),
                "indicator": funding["indicators"][0]["id"],
                "value": None,
                "england": None,
                "source": _(NO_GRANTS_SOURCE),
            }
        )
    return out


def _item(text: str, ind: dict) -> dict:
    return {
        "text": text,
        "indicator": ind["id"],
        "value": ind["value"],
        "england": ind["comparators"].get("nation"),
        "source": ind["source"],
    }


def markdown(result: dict) -> str:
    """The summary as Markdown, each sentence with its source in brackets."""
    lines = []
    for s in result["summary_sentences"]:
        suffix = f" _(Source: {s['source']})_" if s.get("source") and s.get("indicator") else ""
        lines.append(f"- {s['text']}{suffix}")
    return "\n".join(lines)
