"""Checking what a volunteer typed into a report, with a message per field they understand.

All problems are collected at once (a form that fails shows every error beside its
field) and raised as one `Invalid` whose `extra["errors"]` maps field names to messages.
Text is trimmed, empty text becomes None, and control characters (which PostgreSQL
refuses, and nobody types on purpose) are removed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import pycountry
from babel import Locale, numbers
from unidecode import unidecode

from app.errors import Invalid
from app.i18n import BABEL_LOCALE, _, get_locale
from app.schemas.reports import MAX_LENGTHS, ReportCreate

# A price at or above this is a typo, whatever the currency (it also fits Numeric(14, 2)).
MAX_PRICE = Decimal("100000000000")
CONFIDENCE_LEVELS = ("low", "medium", "high")
# ISO 4217 codes for "no currency" and for tests are not prices.
NOT_CURRENCIES = frozenset({"XXX", "XTS"})
COMMON_CURRENCIES = ("USD", "EUR", "GBP", "CNY")
FIELD_ORDER = (
    "listing_url", "species_id", "species_guess", "confidence", "live_animal", "price", "currency",
    "country", "seller_handle", "listing_title", "listing_text", "notes", "evidence",
)  # fmt: skip

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’]")


@dataclass(frozen=True, slots=True)
class CleanFields:
    species_id: str | None
    species_guess: str | None
    confidence: str
    live_animal: bool | None
    price: Decimal | None
    currency: str | None
    country: str | None
    seller_handle: str | None
    listing_title: str | None
    listing_text: str | None
    notes: str | None


def clean_text(value: str | None, *, multiline: bool = False) -> str | None:
    """Trimmed text without control characters; None when nothing is left."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    return text or None


def raise_errors(errors: Mapping[str, str]) -> None:
    """One Invalid for all field errors: the first (in form order) is the headline."""
    if not errors:
        return
    ordered = sorted(errors, key=lambda name: FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER))
    first = ordered[0]
    raise Invalid(errors[first], field=first, extra={"errors": {name: errors[name] for name in ordered}})


def _too_long(limit: int) -> str:
    return _("This is too long: at most %(max)s characters.", max=limit)


def validate(data: ReportCreate, *, content: object | None, errors: dict[str, str] | None = None) -> CleanFields:
    """Every field but the URL (which needs the platform catalogue) checked; Invalid lists all problems.

    `errors` may bring problems found before (the URL, a price that was not a number);
    they are raised together with these.
    """
    errors = dict(errors or {})
    texts: dict[str, str | None] = {}
    for name in ("species_guess", "seller_handle", "listing_title", "listing_text", "notes"):
        value = clean_text(getattr(data, name), multiline=name in ("listing_text", "notes"))
        if value is not None and len(value) > MAX_LENGTHS[name]:
            errors.setdefault(name, _too_long(MAX_LENGTHS[name]))
        texts[name] = value

    species_id = clean_text(data.species_id)
    if species_id is not None:
        species_by_id: Mapping[str, object] = getattr(content, "species_by_id", {}) or {}
        if species_id not in species_by_id:
            errors.setdefault("species_id", _(
                "This species is not in our catalogue. Pick one from the list, or choose “Not sure” "
                "and describe what you see."))
    elif texts["species_guess"] is None:
        errors.setdefault("species_id", _(
            "Pick the species, or choose “Not sure” and describe what you see in a few words."))

    confidence = data.confidence if data.confidence in CONFIDENCE_LEVELS else None
    if confidence is None:
        errors.setdefault("confidence", _("Say how sure you are: a hunch (low), fairly sure (medium) or very sure (high)."))

    price = data.price
    if price is not None and "price" not in errors:
        message = price_problem(price)
        if message:
            errors["price"] = message

    currency = clean_text(data.currency)
    currency = currency.upper() if currency else None
    if currency is not None and not is_currency(currency):
        errors.setdefault("currency", _(
            "“%(code)s” is not a currency code. Use the three letters of ISO 4217, such as EUR, USD or GBP.",
            code=currency))
    elif price is not None and currency is None and "price" not in errors:
        errors.setdefault("currency", _("Choose the currency of the price."))

    country = clean_text(data.country)
    country = country.upper() if country else None
    if country is not None and not is_country(country):
        errors.setdefault("country", _(
            "“%(code)s” is not a country code. Choose the country from the list (ISO 3166 codes such as GB or "
            "DE).", code=country))

    raise_errors(errors)
    return CleanFields(
        species_id=species_id,
        species_guess=texts["species_guess"],
        confidence=confidence or "medium",
        live_animal=data.live_animal,
        price=price,
        currency=currency,
        country=country,
        seller_handle=texts["seller_handle"],
        listing_title=texts["listing_title"],
        listing_text=texts["listing_text"],
        notes=texts["notes"],
    )


def price_problem(price: Decimal) -> str | None:
    if not price.is_finite():
        return _("Enter the price as a number, such as 120 or 99.50.")
    if price < 0:
        return _("The price cannot be negative.")
    if price >= MAX_PRICE:
        return _("This price is too high to be real. Check the number (leave out the currency).")
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and price != price.quantize(Decimal("0.01")):
        return _("Use at most two decimals, such as 99.50.")
    return None


def parse_price(text: str | None) -> Decimal | None:
    """A price typed into the web form, read the way the reader writes numbers ("12,50" in French).

    ValueError (with a message for people) when it is not a number.
    """
    value = clean_text(text)
    if value is None:
        return None
    compact = _SPACES.sub("", value)
    for currency_sign in ("€", "$", "£", "¥", "₹"):
        compact = compact.replace(currency_sign, "")
    candidates = []
    with contextlib.suppress(numbers.NumberFormatError, ValueError):
        candidates.append(numbers.parse_decimal(compact, locale=BABEL_LOCALE[get_locale()], strict=True))
    if re.fullmatch(r"\d+(\.\d+)?", compact):
        candidates.append(Decimal(compact))
    elif re.fullmatch(r"\d+,\d{1,2}", compact):
        candidates.append(Decimal(compact.replace(",", ".")))
    if not candidates:
        raise ValueError(_("Enter the price as a number, such as 120 or 99.50."))
    return candidates[0]


def is_currency(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and code not in NOT_CURRENCIES and (
        pycountry.currencies.get(alpha_3=code) is not None
    )


def is_country(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2}", code)) and pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=8)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in the reader's language) of every ISO 3166 country, sorted by name."""
    names = Locale.parse(BABEL_LOCALE.get(locale, "en")).territories
    choices = [(country.alpha_2, names.get(country.alpha_2) or country.name) for country in pycountry.countries]
    return tuple(sorted(choices, key=lambda choice: unidecode(choice[1]).casefold()))


@lru_cache(maxsize=8)
def currency_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, "EUR · Euro") of every ISO 4217 currency: the most used first, then by code."""
    names = Locale.parse(BABEL_LOCALE.get(locale, "en")).currencies
    codes = sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in NOT_CURRENCIES)
    ordered = [code for code in COMMON_CURRENCIES if code in codes]
    ordered += [code for code in codes if code not in COMMON_CURRENCIES]
    return tuple((code, f"{code} · {names.get(code) or pycountry.currencies.get(alpha_3=code).name}")
                 for code in ordered)


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    return dict(country_choices(get_locale())).get(code, code)
