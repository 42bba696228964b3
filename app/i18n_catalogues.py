"""Extracting the interface's messages and checking the catalogues against them.

Used by `make messages` (through pybabel) and by the test that fails when a catalogue misses
a message, carries a fuzzy one or keeps one the code no longer uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import BABEL_LOCALE, LOCALES_DIR, SUPPORTED_LOCALES

APP_DIR = Path(__file__).parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "silent": "false"}}


def extract_messages() -> Catalog:
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(APP_DIR), method_map=METHOD_MAP, options_map=OPTIONS_MAP, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@dataclass
class CatalogueProblems:
    locale: str
    missing: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    bad_placeholders: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.missing, self.untranslated, self.fuzzy, self.stale, self.bad_placeholders))


def _key(message) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return msgid, message.context


def check_catalogue(locale: str, extracted: Catalog | None = None) -> CatalogueProblems:
    import re

    extracted = extracted or extract_messages()
    problems = CatalogueProblems(locale)
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        problems.missing = [_key(m)[0] for m in extracted if m.id]
        return problems
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=BABEL_LOCALE[locale])
    wanted = {_key(m) for m in extracted if m.id}
    present = {_key(m): m for m in catalogue if m.id}
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for key in sorted(wanted - present.keys(), key=str):
        problems.missing.append(key[0])
    for key, message in present.items():
        if key not in wanted:
            problems.stale.append(key[0])
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.fuzzy.append(key[0])
        if not all(strings):
            problems.untranslated.append(key[0])
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(set(placeholder.findall(i)) for i in ids))
        for text in strings:
            found = set(placeholder.findall(text))
            # Plural forms may drop %(num)s (e.g. Chinese has one form); other names must match.
            if found - expected or (expected - {"num"}) - found:
                problems.bad_placeholders.append(key[0])
                break
    return problems


def check_all() -> list[CatalogueProblems]:
    extracted = extract_messages()
    return [check_catalogue(locale, extracted) for locale in SUPPORTED_LOCALES if locale != "en"]


def update_catalogues(locales: list[str] | None = None) -> None:
    """Write messages.pot and merge it into each language's messages.po (new entries untranslated)."""
    from babel.messages.pofile import write_po

    extracted = extract_messages()
    LOCALES_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALES_DIR / "messages.pot").open("wb") as handle:
        write_po(handle, extracted, omit_header=False, no_location=True, sort_output=True, width=100)
    for locale in locales or SUPPORTED_LOCALES:
        if locale == "en":
            continue
        po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as handle:
                catalogue = read_po(handle, locale=BABEL_LOCALE[locale])
        else:
            catalogue = Catalog(locale=BABEL_LOCALE[locale], project="Cyber Spotter", fuzzy=False)
        catalogue.update(extracted, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with po_path.open("wb") as handle:
            write_po(handle, catalogue, no_location=True, sort_output=True, width=100, ignore_obsolete=True)
        print(f"{po_path}: {sum(1 for m in catalogue if m.id and not m.string)} untranslated")


if __name__ == "__main__":
    import sys

    update_catalogues(sys.argv[1:] or None)
