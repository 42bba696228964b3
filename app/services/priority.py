"""How urgent a listing is: the number the review queue sorts by, and why.

The score is a sum of small, explainable parts, so an expert can read why a listing is
near the top (`describe_reasons`) and a change to one weight moves listings predictably:

    CITES Appendix I 40, II 20, III 10   the species most at risk first
    live animal 20                        an animal's welfare cannot wait
    independent reports 10 each, max 30   several volunteers saw it
    code word 10                          the text uses a trader's disguise
    reporter track record up to 15        reporters whose reports are usually confirmed
    age 1 a day                           nothing waits for ever behind newer listings

Age is not part of the stored score: it grows by itself, so the queue applies it when it
sorts (`app.models.listings.queue_rank`: one point per day since the first report), and
`describe_reasons` understands the "age_days:<n>" code the queue adds for display.

`reasons` are short codes ("appendix:I", "reports:3", ...) stored on the listing, and
turned into words in the reader's language only when shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.i18n import _, ngettext

APPENDIX_POINTS = {1: 40, 2: 20, 3: 10}
APPENDIX_NAMES = {1: "I", 2: "II", 3: "III"}
LIVE_ANIMAL_POINTS = 20
POINTS_PER_EXTRA_REPORT = 10
MAX_EXTRA_REPORT_POINTS = 30
CODE_WORD_POINTS = 10
MAX_TRACK_RECORD_POINTS = 15
# A track record counts once a reporter has this many decided reports; fewer says little.
MIN_DECIDED_FOR_TRACK_RECORD = 3
REASONS_MAX_LENGTH = 400


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """One reporter's past: reports on listings an expert decided, and how many were confirmed."""

    decided: int
    confirmed: int

    @property
    def share(self) -> float:
        """Share confirmed, pulled towards one half while there are few decisions (Laplace)."""
        return (self.confirmed + 1) / (self.decided + 2)


class PrioritySubject(Protocol):
    """What the formula reads of a listing (a Listing row, or anything shaped like it)."""

    appendix_rank: int | None
    live_animal: bool
    report_count: int
    code_word_hit: bool


def compute_priority(
    listing: PrioritySubject, *, reporter_track_records: Sequence[TrackRecord], now: datetime
) -> tuple[int, list[str]]:
    """The listing's stored priority (higher first) and the reasons for it, as codes.

    `now` is the moment of scoring; age is left to the queue's sort (see the module doc).
    """
    score = 0
    reasons: list[str] = []

    points = APPENDIX_POINTS.get(listing.appendix_rank or 0, 0)
    if points:
        score += points
        reasons.append(f"appendix:{APPENDIX_NAMES[listing.appendix_rank or 0]}")

    if listing.live_animal:
        score += LIVE_ANIMAL_POINTS
        reasons.append("live_animal")

    if listing.report_count > 1:
        score += min(MAX_EXTRA_REPORT_POINTS, POINTS_PER_EXTRA_REPORT * (listing.report_count - 1))
        reasons.append(f"reports:{listing.report_count}")

    if listing.code_word_hit:
        score += CODE_WORD_POINTS
        reasons.append("code_word")

    seasoned = [record for record in reporter_track_records if record.decided >= MIN_DECIDED_FOR_TRACK_RECORD]
    if seasoned:
        best = max(record.share for record in seasoned)
        points = round(MAX_TRACK_RECORD_POINTS * best)
        if points:
            score += points
            reasons.append(f"track_record:{round(best * 100)}")

    return score, reasons


def join_reasons(reasons: Sequence[str]) -> str:
    """The reasons as stored on the listing (comma-separated, within the column's length)."""
    text = ",".join(reasons)
    while len(text) > REASONS_MAX_LENGTH and reasons:
        reasons = reasons[:-1]
        text = ",".join(reasons)
    return text


def describe_reasons(stored: str | None) -> list[str]:
    """The stored reason codes in words, in the reader's language."""
    described = []
    for code in (stored or "").split(","):
        name, _sep, value = code.strip().partition(":")
        if name == "appendix":
            described.append(_("CITES Appendix %(appendix)s species", appendix=value))
        elif name == "live_animal":
            described.append(_("live animal"))
        elif name == "reports":
            described.append(ngettext("%(num)s report", "%(num)s independent reports", _as_int(value)))
        elif name == "code_word":
            described.append(_("trader's code word in the text"))
        elif name == "track_record":
            described.append(_("reporter's reports usually confirmed (%(pct)s%%)", pct=value))
        elif name == "age_days":
            described.append(ngettext("waiting %(num)s day", "waiting %(num)s days", _as_int(value)))
    return described


def _as_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
