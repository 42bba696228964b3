"""The words of a decision: kinds of finding, reasons for rejecting, and what reporters read.

A finding is the substantiated explanation a notice under the EU Digital Services Act,
Art. 16(2)(a), needs. It is composed from the template of its kind plus the expert's own
words, in English, the language of the referral, whatever language the expert's screen
shows. Labels are translated when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.support import LazyProxy

from app.i18n import _, lazy_gettext, use_locale
from app.models import Listing, ListingStatus

S = ListingStatus
FINDING_LANGUAGE = "en"


@dataclass(frozen=True)
class FindingTemplate:
    label: LazyProxy
    text: LazyProxy | None  # may use %(species)s and %(appendix)s; None: the note says it all


FINDING_TEMPLATES: dict[str, FindingTemplate] = {
    "live_appendix_i": FindingTemplate(
        lazy_gettext("Live CITES Appendix I animal offered for sale"),
        lazy_gettext(
            "The listing offers a live specimen of %(species)s, a species listed in CITES Appendix I. "
            "Commercial international trade in Appendix I specimens is prohibited (CITES Art. III), "
            "and the listing shows no permit or registered captive-breeding origin that would make "
            "this offer lawful."
        ),
    ),
    "live_without_papers": FindingTemplate(
        lazy_gettext("Live CITES-listed animal without permits"),
        lazy_gettext(
            "The listing offers a live specimen of %(species)s (CITES Appendix %(appendix)s) without any "
            "indication of the CITES permits or certificates that trade in this species requires."
        ),
    ),
    "ivory": FindingTemplate(
        lazy_gettext("Ivory or an ivory look-alike"),
        lazy_gettext(
            "The listing offers items made of elephant ivory, or described in terms traders use to "
            "disguise ivory (%(species)s, CITES Appendix %(appendix)s). Commercial trade in ivory is "
            "prohibited or strictly restricted, and the listing shows no proof of a lawful exemption."
        ),
    ),
    "parts_derivatives": FindingTemplate(
        lazy_gettext("Body parts or derivatives of a protected species"),
        lazy_gettext(
            "The listing offers body parts or products derived from %(species)s (CITES Appendix "
            "%(appendix)s), such as skins, scales, horn, claws, teeth or bone, whose commercial trade "
            "is prohibited or needs permits the listing does not show."
        ),
    ),
    "no_legal_origin": FindingTemplate(
        lazy_gettext("Protected species without proof of legal origin"),
        lazy_gettext(
            "The listing offers specimens of %(species)s, a protected species (CITES Appendix "
            "%(appendix)s), without proof of legal origin such as CITES permits, certificates or "
            "documents of lawful acquisition."
        ),
    ),
    "other": FindingTemplate(lazy_gettext("Other (explain in the note)"), None),
}


@dataclass(frozen=True)
class RejectReason:
    label: LazyProxy
    for_reporter: LazyProxy  # what a reporter reads on their report


REJECT_REASONS: dict[str, RejectReason] = {
    "legal_with_papers": RejectReason(
        lazy_gettext("Legal, or captive-bred with papers"),
        lazy_gettext("The experts found the offer legal: the species may be traded, or the seller shows the "
                     "papers (for example captive breeding) that make it lawful."),
    ),
    "replica": RejectReason(
        lazy_gettext("Replica or imitation"),
        lazy_gettext("The experts found the item to be a replica or an imitation, not wildlife."),
    ),
    "not_wildlife": RejectReason(
        lazy_gettext("Not wildlife"),
        lazy_gettext("The experts found that the listing does not offer wildlife or wildlife products."),
    ),
    "not_enough_information": RejectReason(
        lazy_gettext("Not enough information"),
        lazy_gettext("The experts could not tell from the listing and the reports whether the offer is "
                     "illegal, so it cannot be passed on."),
    ),
    "duplicate": RejectReason(
        lazy_gettext("Duplicate of another listing"),
        lazy_gettext("The same offer is already being handled under another listing."),
    ),
    "other": RejectReason(
        lazy_gettext("Other (explain in the note)"),
        lazy_gettext("The experts did not pass this listing on."),
    ),
}


def compose_finding(*, template: str, species: Any, note: str | None) -> str:
    """The finding sent to the company, in English: the template's explanation, the expert's words, the species."""
    with use_locale(FINDING_LANGUAGE):
        appendix = species.appendix_label if species.appendix_rank else "—"
        name = f"{species.display_name(FINDING_LANGUAGE)} ({species.scientific_name})"
        parts = []
        text = FINDING_TEMPLATES[template].text
        if text is not None:
            parts.append(str(text) % {"species": name, "appendix": appendix})
        if note:
            parts.append(note)
        parts.append(
            _("Species: %(name)s, CITES Appendix %(appendix)s. Reviewed by a Coalition expert.",
              name=name, appendix=species.appendix_label or "—")
        )
    return "\n\n".join(parts)


def reject_reason_label(code: str | None) -> str | None:
    found = REJECT_REASONS.get(code or "")
    return str(found.label) if found else None


def finding_template_choices() -> list[tuple[str, str]]:
    return [(key, str(template.label)) for key, template in FINDING_TEMPLATES.items()]


def reject_reason_choices() -> list[tuple[str, str]]:
    return [(key, str(reason.label)) for key, reason in REJECT_REASONS.items()]


def reporter_message(listing: Listing) -> str | None:
    """What a reporter reads about the experts' decision on their listing, in their language.

    Never names the expert or other reporters. None while there is nothing to say.
    """
    if listing.status == S.rejected:
        reason = REJECT_REASONS.get(listing.reject_reason or "")
        text = str(reason.for_reporter) if reason else _("The experts did not pass this listing on.")
        return f"{text} {listing.decision_note}" if listing.decision_note else text
    if listing.status == S.confirmed:
        return _("The experts confirmed your report; the listing is being passed to the company that hosts it.")
    if listing.status == S.removed:
        return _("The company has removed the listing. Thank you.")
    if listing.status == S.needs_info:
        return _("The experts need more information: please answer their question below.")
    return None
