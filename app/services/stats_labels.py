"""Names for the codes figures are grouped by: platforms, species groups, appendices, product forms."""

from __future__ import annotations

from app.i18n import _


def platform_names(content: object | None) -> dict[str, str]:
    """platform id -> name, from the platform catalogue of the training content (if loaded)."""
    catalogue = getattr(content, "platforms", None)
    platforms = getattr(catalogue, "platforms", ()) or ()
    return {platform.id: platform.name for platform in platforms}


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
