"""Names for the codes figures are grouped by: platforms, species groups, appendices, product forms."""

from __future__ import annotations

from babel import Locale, lists, units

from app.i18n import _, babel_locale


def platform_names(content: object | None) -> dict[str, str]:
    """platform id -> name, from the platform catalogue of the training content (if loaded)."""
    catalogue = getattr(content, "platforms", None)
    platforms = getattr(catalogue, "platforms", ()) or ()
    return {platform.id: platform.name for platform in platforms}


def species_names(content: object | None) -> dict[str, str]:
    """species id -> scientific name, from the species catalogue (if loaded)."""
    species = getattr(content, "species", ()) or ()
    return {item.id: item.scientific_name for item in species}


def group_names() -> dict[str | None, str]:
    return {
        "mammal": _("Mammals"),
        "bird": _("Birds"),
        "reptile": _("Reptiles"),
        "amphibian": _("Amphibians"),
        "fish": _("Fish"),
        "invertebrate": _("Invertebrates"),
        "plant": _("Plants"),
        None: _("Unknown species"),
    }


def appendix_names() -> dict[str | None, str]:
    return {
        "I": _("Appendix I"),
        "II": _("Appendix II"),
        "III": _("Appendix III"),
        "none": _("Not listed or unknown"),
        None: _("Not listed or unknown"),
    }


def product_form_names() -> dict[str, str]:
    return {"live": _("Live animals"), "product": _("Products and parts")}


def outcome_names() -> dict[str, str]:
    return {
        "removed": _("Removed"),
        "not_removed": _("Not removed"),
        "not_found": _("Already gone"),
        "no_answer": _("No answer"),
    }


def format_duration(seconds: float | None) -> str:
    """A duration to the two largest units, in the reader's language: "1 day, 12 hours", "45 minutes".

    Babel's `format_timedelta` rounds to one unit ("2 days" for 36 hours), too coarse for
    telling whether the queue keeps up.
    """
    if seconds is None:
        return ""
    total = int(round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [("day", days), ("hour", hours)]
    elif hours:
        parts = [("hour", hours), ("minute", minutes)]
    elif minutes:
        parts = [("minute", minutes)]
    else:
        parts = [("second", secs)]
    locale = babel_locale()
    words = [_unit(value, unit, locale) for index, (unit, value) in enumerate(parts) if value or index == 0]
    return lists.format_list(words, style="unit", locale=locale)


def _unit(value: int, unit: str, locale: Locale) -> str:
    text = units.format_unit(value, f"duration-{unit}", length="long", locale=locale)
    if "duration-" in text:  # some locales (zh) only carry the short forms in Babel's data
        text = units.format_unit(value, f"duration-{unit}", length="short", locale=locale)
    return text
