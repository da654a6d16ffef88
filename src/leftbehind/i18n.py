"""Translations for user-facing text (below the web layer; web and library both import it).

Catalogues are gettext ``.po`` files under ``leftbehind/locales/<lang>/LC_MESSAGES/messages.po``,
read with Babel's ``read_po`` at first use (no binary ``.mo`` files in the repo). The list of
languages is the catalogues present plus the source language, English: adding a language is
adding a catalogue (see docs/i18n.md).
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from importlib import resources
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("leftbehind_lang", default=SOURCE_LANGUAGE)


def _locales_dir():
    return resources.files("leftbehind") / "locales"


@cache
def languages() -> tuple[str, ...]:
    """The source language then every language with a catalogue, sorted."""
    found = []
    base = _locales_dir()
    if base.is_dir():
        for entry in base.iterdir():
            if (entry / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
                found.append(entry.name)
    return (SOURCE_LANGUAGE, *sorted(x for x in found if x != SOURCE_LANGUAGE))


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """gettext translations for ``lang``, compiled in memory from its ``.po``."""
    if lang == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    if lang not in languages():
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(languages())}")
    path = _locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def current_language() -> str:
    return _current.get()


def set_language(lang: str):
    """Set the language for this context; returns a token for ``reset_language``."""
    if lang not in languages():
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(languages())}")
    return _current.set(lang)


def reset_language(token) -> None:
    _current.reset(token)


def gettext(message: str, lang: str | None = None) -> str:
    return translations(lang or current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    return translations(lang or current_language()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here (gettext_noop): for
    sentence templates kept in tables and translated where they are used."""
    return message


def format_number(value: float | int, digits: int = 0, lang: str | None = None) -> str:
    """A number written the way the current language writes it (Babel): ``5,950`` in English
    and in Welsh; ``digits`` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_babel_locale(lang))


def _babel_locale(lang: str | None = None) -> str:
    lang = lang or current_language()
    return "en_GB" if lang == SOURCE_LANGUAGE else lang


def capitalise(text: str) -> str:
    """The first letter upper case (for a placeholder that starts a sentence)."""
    return text[:1].upper() + text[1:]
