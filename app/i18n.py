"""Languages: the request's locale, gettext lookups and Babel formatting.

The locale lives in a context variable set once per request (see `app.main`), so
services, templates and error handlers all translate without passing it around.
Catalogues are the `.po` files under `app/locales/`; they are compiled in memory at
first use, so there is no build step and no binary file in the repository.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
# Order matters: it is the order of the language switcher.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr", "de", "zh")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "zh": "中文"}
# What goes into <html lang> and Content-Language.
HTML_LANG = {"en": "en", "fr": "fr", "de": "de", "zh": "zh-Hans"}
BABEL_LOCALE = {"en": "en", "fr": "fr", "de": "de", "zh": "zh_Hans_CN"}

_current: ContextVar[str] = ContextVar("cyberspotter_locale", default=DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def normalize_locale(value: str | None) -> str | None:
    """Map a language tag ("fr-CA", "zh-Hans-SG", "de_DE") to a supported locale, or None."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED_LOCALES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best supported locale for an Accept-Language header, honouring q-values."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalize_locale(tag)
        if locale and quality > 0:
            weighted.append((-quality, index, locale))
    return min(weighted)[2] if weighted else None


@cache
def translations(locale: str) -> NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALE[locale])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str, **variables: object) -> str:
    text = translations(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: object) -> str:
    text = translations(get_locale()).pgettext(context, message)
    return text % variables if variables else text


def lazy_gettext(message: str, **variables: object) -> LazyProxy:
    """For module-level strings: translated when shown, in the reader's language."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext
_l = lazy_gettext


def babel_locale() -> Locale:
    return Locale.parse(BABEL_LOCALE[get_locale()])


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, format=format, locale=babel_locale(), tzinfo=dates.get_timezone("UTC"))


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_date(value, format=format, locale=babel_locale())


def format_timedelta(seconds: float | None, threshold: float = 0.85) -> str:
    if seconds is None:
        return ""
    return dates.format_timedelta(seconds, threshold=threshold, locale=babel_locale())


def format_number(value: int | float | Decimal | None) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=babel_locale())


def format_percent(value: float | None) -> str:
    if value is None:
        return ""
    return numbers.format_percent(value, locale=babel_locale())


def format_currency(value: Decimal | float | None, currency: str | None) -> str:
    if value is None:
        return ""
    if not currency:
        return format_number(value)
    return numbers.format_currency(value, currency, locale=babel_locale())
