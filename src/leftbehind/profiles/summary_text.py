"""Plain-language summaries of a profile.

Short sentences a resident would use, each backed by one number and its source, strengths
first. Sentences describe places and circumstances, never people ('children living in
low-income families', not 'poor children').
"""

from __future__ import annotations

from leftbehind.editions import EDITIONS
from leftbehind.profiles import values

#: How to say each share: (who, what they do). The indicator id without its edition prefix.
SHARE_PHRASES: dict[str, tuple[str, str]] = {
    "income": ("people", "live on a low income"),
    "idaci": ("children", "live in families on a low income"),
    "idaopi": ("people aged 60 or more", "live on a low income"),
    "employment": ("adults of working age", "are out of work or too ill to work"),
    "income_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for income",
    ),
    "employment_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for work",
    ),
    "access_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for access to services",
    ),
    "adult_skills": ("adults", "have few or no qualifications"),
    "staying_on": ("young people", "leave school at 16"),
    "households_deprived": (
        "homes",
        "face hard times in at least one way, such as work, health or housing",
    ),
    "disabled": ("people", "have a disability"),
    "education_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for schools and skills",
    ),
    "children_education": (
        "people",
        "live in a part of {nation} in the worst tenth for school results",
    ),
    "health_domain": ("people", "live in a part of {nation} in the worst tenth for health"),
    "travel_barriers": (
        "people",
        "live in a part of {nation} in the worst tenth for distance to shops and services",
    ),
    "crime_domain": ("people", "live in a part of {nation} in the worst tenth for crime"),
    "housing_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for housing and services",
    ),
    "environment_domain": (
        "people",
        "live in a part of {nation} in the worst tenth for the local setting",
    ),
    "overcrowding": ("homes", "are too full for the people who live there"),
    "no_central_heating": ("homes", "have no central heating"),
}
#: Distances: what is reached.
DISTANCE_PHRASES = {
    "gp_distance": "a GP",
    "school_distance": "a primary school",
    "post_office_distance": "a post office",
    "shop_distance": "a food shop",
}
#: Standardised ratios (compared with England's own value, which is not 100).
RATIO_PHRASES = {
    "emergency_hospital": "Emergency stays in hospital",
    "illness_disability": "Claims for illness and disability benefits",
}
#: Scores compared by rank: (thing and verb, word when worse, word when better).
RANK_PHRASES = {
    "higher_education": ("going on to university is", "less common", "more common"),
    "early_death": ("early deaths are", "more common", "less common"),
    "mood_anxiety": ("mood and anxiety problems are", "more common", "less common"),
    "mental_health": ("mental health problems are", "more common", "less common"),
    "civic_assets": ("the need for places to meet is", "greater", "smaller"),
    "engaged_community": ("the need for local groups and events is", "greater", "smaller"),
    "connectedness": ("the need for better transport and links is", "greater", "smaller"),
    "air_quality": ("air pollution is", "worse", "better"),
    "loneliness": (
        "prescribing for conditions linked to loneliness is",
        "more common",
        "less common",
    ),
}
#: Plural words for the geographies of profiles: each profiled edition's own geography in its
#: declared ``Edition.area_words``, then the other geographies profiles cover.
PLURAL = {
    **{e.geography: e.area_words for e in EDITIONS.values() if e.profile is not None},
    "ward24": "wards",
    "lsoa11": "neighbourhoods",
    "ltla19": "council areas",
    "ltla24": "council areas",
    "ltla20": "council areas",
    "lgd14": "council areas",
    "dz11": "data zones",
    "region": "regions",
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


def stem(indicator_id: str) -> str:
    return indicator_id.split("_", 1)[1]


def in_words(share: float) -> str:
    """0.32 -> 'about 1 in 3'; 0.7 -> 'about 7 in 10'; 0.004 -> 'fewer than 1 in 100'."""
    if share <= 0:
        return "none"
    if share < 0.01:
        return "fewer than 1 in 100"
    if share >= 0.995:
        return "all"
    if share > 0.5:
        return f"about {round(share * 10)} in 10"
    n = round(1 / share)
    if n > 20:
        return f"about {round(share * 100)} in 100"
    if n == 1:
        return "about 1 in 2"
    return f"about {1} in {n}"


def _per_100(share: float) -> str:
    return f"about {round(share * 100)} in 100"


def _tenths(pct: float) -> str:
    n = max(1, min(9, round(pct / 10)))
    return f"{n} in 10"


def _capital(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _population_source(result: dict) -> str:
    edition = EDITIONS.get(result.get("edition") or "")
    spec = edition.profile if edition is not None else None
    return spec.population_source if spec is not None else "ONS population estimates"


def _article(word: str) -> str:
    """'a ward', 'an intermediate zone'."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _sentence(
    ind: dict, area_type: str, nation: str = "England", counted: bool = True
) -> str | None:
    """One sentence about an indicator, compared with the nation (``counted``: the edition has
    small-area populations, so shares are shares of people)."""
    value, unit = ind["value"], ind["unit"]
    england = ind["comparators"].get("nation")
    key = stem(ind["id"])
    if value is None:
        return None
    if unit == "share" and key in SHARE_PHRASES and england is not None and counted:
        who, what = SHARE_PHRASES[key]
        what = what.format(nation=nation)
        here, there = in_words(value), in_words(england)
        if here == "none":
            return f"None of the {who} here {what}, compared with {there} across {nation}."
        if here == there and abs(value - england) > 0.1 * max(value, england):
            here, there = _per_100(value), _per_100(england)
        if here == there:
            return f"{_capital(here)} {who} here {what}, the same as across {nation}."
        return f"{_capital(here)} {who} here {what}, compared with {there} across {nation}."
    if unit == "km" and key in DISTANCE_PHRASES and england is not None:
        return (
            f"By road, {DISTANCE_PHRASES[key]} is {value:.1f} km away on average, "
            f"compared with {england:.1f} km across {nation}."
        )
    if unit == "ratio_100" and key in RATIO_PHRASES and england:
        # A standardised ratio: compared with the nation's own value (118.7 for emergency stays
        # in 2019, not 100), never with the nominal 100.
        times = value / england
        numbers = f"({value:,.1f} here, {england:,.1f} across {nation})"
        if abs(times - 1) < 0.05:
            return f"{RATIO_PHRASES[key]} are about the same as across {nation} {numbers}."
        if times >= 1:
            return f"{RATIO_PHRASES[key]} are {times:.2f} times the {nation} rate {numbers}."
        return (
            f"{RATIO_PHRASES[key]} are lower than across {nation}, "
            f"at {round(times * 100)}% of the {nation} rate {numbers}."
        )
    if unit == "count" and england is not None:
        return (
            f"Each GP here has about {value:,.0f} patients, "
            f"compared with {england:,.0f} across {nation}."
        )
    if unit == "per_1000" and england is not None:
        return (
            f"There are about {value:.0f} cases of criminal damage "
            "for every 1,000 people each year, "
            f"compared with {england:.0f} across {nation}."
        )
    if key in RANK_PHRASES and ind.get("need_percentile") is not None:
        thing, worse, better = RANK_PHRASES[key]
        places = PLURAL.get(area_type, "areas")
        need = ind["need_percentile"]
        if need >= 50:
            return f"Here, {thing} {worse} than in {_tenths(need)} {places}."
        return f"Here, {thing} {better} than in {_tenths(100 - need)} {places}."
    return None


def _gap(ind: dict) -> float | None:
    need = ind.get("need_percentile")
    nation = (ind.get("comparator_percentiles") or {}).get("nation")
    if need is None or nation is None:
        return None
    nation_need = nation if ind["direction"] == "higher_is_worse" else 100 - nation
    return need - nation_need


def summarise(result: dict, strengths: int = 3, challenges: int = 4) -> list[dict]:
    """Sentences for a profile, each a dict {text, indicator, value, england, source}."""
    area_type = result["type"]
    reference = area_type if area_type in PLURAL else "custom"
    nation = result.get("nation") or "England"
    counted = result.get("population") is not None
    out: list[dict] = []
    name = result["name"]
    where = result.get("local_authority") or {}
    population = result.get("population") or 0
    if not population and not result.get("small_areas"):
        # A ward no small area has its best fit in (a few 2019 wards): no people are counted
        # here and there is no boundary, so say so instead of 'home to about 0 people'.
        kind = values.TYPE_WORDS.get(area_type, "place").split(" (")[0]
        where_words = f" in {where['name']}" if where.get("name") else ""
        opening = (
            f"{name} is a {kind}{where_words} with no population estimate and no boundary of "
            "its own here: no small area (LSOA) has its best fit in it, so the people who live "
            f"here are counted in the neighbouring {PLURAL.get(area_type, 'areas')}, and there "
            "is no data for its profile."
        )
    elif area_type == "custom":
        opening = (
            f"This area is made of {result['small_areas']} small areas, "
            f"home to about {result['population']:,} people."
        )
    elif not counted:
        # No small-area population is mirrored for the edition (Northern Ireland).
        kind = values.TYPE_WORDS.get(area_type, "place").split(" (")[0]
        where_words = f" in {where['name']}" if where.get("name") != name else ""
        opening = f"{name} is {_article(kind)}{where_words}."
    elif where.get("name") and where.get("name") != name:
        kind = values.TYPE_WORDS.get(area_type, "place").split(" (")[0]
        opening = (
            f"{name} is {_article(kind)} in {where['name']}, "
            f"home to about {result['population']:,} people."
        )
    else:
        opening = f"{name} is home to about {result['population']:,} people."
    out.append(
        {
            "text": opening,
            "indicator": None,
            "value": result["population"] or None,
            "england": None,
            "source": _population_source(result) if counted else None,
        }
    )

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
        out.append(
            {
                "text": "Here is where this place does well.",
                "indicator": None,
                "value": None,
                "england": None,
                "source": None,
            }
        )
    for _, _, ind, text in picked_good:
        out.append(_item(text, ind))
    picked_bad = take(bad, challenges)
    if picked_bad:
        out.append(
            {
                "text": "Here is where it faces the biggest challenges.",
                "indicator": None,
                "value": None,
                "england": None,
                "source": None,
            }
        )
    for _, _, ind, text in picked_bad:
        out.append(_item(text, ind))
    if not picked_good and not picked_bad and scored:
        out.append(
            {
                "text": f"On most measures here, this place is close to the {nation} average.",
                "indicator": None,
                "value": None,
                "england": None,
                "source": None,
            }
        )

    group = result.get("group")
    group_text = {
        "left_behind": (
            "It is one of the places the report calls 'left behind': "
            "high need, and few places and groups to bring people together."
        ),
        "other_deprived": (
            "It has high need, like the places the report calls 'left behind', "
            "but more places and groups to bring people together."
        ),
    }.get(group)
    if group_text:
        out.append(
            {
                "text": group_text,
                "indicator": "group",
                "value": group,
                "england": None,
                "source": "Community Needs Index and Index of Deprivation",
            }
        )
    funding = next((d for d in result["dimensions"] if d["id"] == "funding"), None)
    if funding and funding.get("status") == "no_data":
        out.append(
            {
                "text": "There is no data yet on grant money for this place.",
                "indicator": funding["indicators"][0]["id"],
                "value": None,
                "england": None,
                "source": "360Giving grants (not yet imported)",
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
