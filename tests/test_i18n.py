"""The translation layer: catalogues found on disk, read from .po, no fuzzy or empty entries."""

import pytest
from babel.messages.pofile import read_po

from leftbehind import i18n


def _catalog(lang):
    path = i18n._locales_dir() / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def test_languages_come_from_catalogues_present():
    langs = i18n.languages()
    assert langs[0] == "en"
    assert "cy" in langs
    on_disk = {p.name for p in i18n._locales_dir().iterdir() if p.is_dir()}
    assert set(langs) - {"en"} == on_disk


def test_glossary_terms_in_welsh():
    assert i18n.gettext("Deprivation", "cy") == "Amddifadedd"
    assert i18n.gettext("Neighbourhood", "cy") == "Cymdogaeth"
    assert i18n.gettext("Index of Multiple Deprivation", "cy") == "Mynegai Amddifadedd Lluosog"
    assert i18n.gettext("Welsh Index of Multiple Deprivation", "cy") == (
        "Mynegai Amddifadedd Lluosog Cymru"
    )
    assert i18n.gettext("Deprivation", "en") == "Deprivation"


def test_context_language_is_used_and_reset():
    assert i18n.current_language() == "en"
    token = i18n.set_language("cy")
    try:
        assert i18n._("Community Needs Index") == "Mynegai Anghenion Cymunedol"
    finally:
        i18n.reset_language(token)
    assert i18n._("Community Needs Index") == "Community Needs Index"


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        i18n.set_language("xx")


@pytest.mark.parametrize("lang", [x for x in i18n.languages() if x != "en"])
def test_catalogue_has_no_untranslated_or_fuzzy_messages(lang):
    bad = [
        m.id
        for m in _catalog(lang)
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert bad == []


def test_lang_is_accepted_by_the_unknown_query_check_on_api_routes():
    import warnings

    from fastapi import Depends, FastAPI

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from leftbehind.web.common import reject_unknown_query

    app = FastAPI(dependencies=[Depends(reject_unknown_query)])

    @app.get("/api/ping")
    def ping(q: str = "x"):
        return {"q": q}

    client = TestClient(app)
    assert client.get("/api/ping?q=a&lang=cy").status_code == 200
    bad = client.get("/api/ping?q=a&colour=red")
    assert bad.status_code == 422
    assert "lang" in bad.json()["detail"][0]["msg"]
