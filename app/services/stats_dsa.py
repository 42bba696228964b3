"""The trusted-flagger yearly report (EU Digital Services Act, Art. 22(3)).

A trusted flagger publishes, once a year, the notices it submitted: how many, to which
hosting provider, about what type of allegedly illegal content, and what action the
provider took. Here a notice is a referral sent to a company (a referral with no company
to send it to is not a notice). The year is that of the referral (UTC). The content type is
the listing's species group and its product form: a live animal, or a product or part
(ivory, skins, scales ...). The action is the company's answer: removed, not removed,
already gone, or no answer yet.

Nothing in it is personal: companies, species groups and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app.models import Company, Listing, Referral
from app.services.stats import NO_RECIPIENT, within
from app.services.stats_period import Period, year_period
from app.services.stats_sql import duration_percentiles, seconds_between

ACTIONS = ("removed", "not_removed", "not_found", "no_answer")


@dataclass
class ActionCounts:
    notices: int = 0
    removed: int = 0
    not_removed: int = 0
    not_found: int = 0
    no_answer: int = 0
    median_hours_to_action: float | None = None

    def add(self, action: str, count: int) -> None:
        self.notices += count
        setattr(self, action, getattr(self, action) + count)


@dataclass
class ProviderRow:
    company_id: int
    name: str
    counts: ActionCounts


@dataclass
class ContentTypeRow:
    species_group: str | None
    product_form: str  # live | product
    counts: ActionCounts


@dataclass
class TrustedFlaggerReport:
    year: int
    period: Period
    generated_at: datetime
    total: ActionCounts
    by_provider: list[ProviderRow] = field(default_factory=list)
    by_content_type: list[ContentTypeRow] = field(default_factory=list)


def _notice_conditions(period: Period):  # type: ignore[no-untyped-def]
    return and_(within(Referral.created_at, period), Referral.company_id.is_not(None),
                Referral.status != NO_RECIPIENT)


def trusted_flagger_report(session: Session, *, year: int, now: datetime) -> TrustedFlaggerReport:
    """Notices sent in `year`, by hosting provider, by type of content and by the action taken."""
    period = year_period(year)
    action = func.coalesce(Referral.outcome, "no_answer")
    statement = (
        select(Company.id, Company.name, Listing.species_group, Listing.live_animal, action, func.count(Referral.id))
        .join(Company, Company.id == Referral.company_id)
        .join(Listing, Listing.id == Referral.listing_id)
        .where(_notice_conditions(period))
        .group_by(Company.id, Company.name, Listing.species_group, Listing.live_animal, action)
    )
    total = ActionCounts()
    providers: dict[int, ProviderRow] = {}
    content_types: dict[tuple[str | None, str], ContentTypeRow] = {}
    for company_id, name, group, live, outcome, count in session.execute(statement):
        outcome = outcome if outcome in ACTIONS else "no_answer"
        form = "live" if live else "product"
        total.add(outcome, count)
        providers.setdefault(company_id, ProviderRow(company_id, name, ActionCounts())).counts.add(outcome, count)
        content_types.setdefault((group, form), ContentTypeRow(group, form, ActionCounts())).counts.add(outcome, count)
    total.median_hours_to_action = _median_hours(session, period)
    for row in providers.values():
        row.counts.median_hours_to_action = _median_hours(session, period, company_id=row.company_id)
    return TrustedFlaggerReport(
        year=year,
        period=period,
        generated_at=now,
        total=total,
        by_provider=sorted(providers.values(), key=lambda row: (-row.counts.notices, row.name.lower())),
        by_content_type=sorted(content_types.values(),
                               key=lambda row: (-row.counts.notices, row.species_group or "~", row.product_form)),
    )


def _median_hours(session: Session, period: Period, *, company_id: int | None = None) -> float | None:
    """Median time from the notice to the provider's action, over the notices it answered."""
    conditions = [_notice_conditions(period), Referral.outcome.is_not(None), Referral.acted_at.is_not(None)]
    if company_id is not None:
        conditions.append(Referral.company_id == company_id)
    summary = duration_percentiles(session, seconds=seconds_between(Referral.acted_at, Referral.created_at),
                                   from_=Referral, where=conditions)
    return round(max(summary.median_seconds, 0.0) / 3600, 1) if summary.median_seconds is not None else None


def report_csv_rows(report: TrustedFlaggerReport) -> list[list[object]]:
    """The report as one table: a header, the total, then a line per provider and per content type.

    Species groups and product forms are the stable codes (bird, live ...), not translated labels."""
    header = ["year", "breakdown", "hosting_provider", "species_group", "product_form", "notices", "removed",
              "not_removed", "already_gone", "no_answer", "median_hours_to_action"]

    def counts(row: ActionCounts) -> list[object]:
        return [row.notices, row.removed, row.not_removed, row.not_found, row.no_answer,
                "" if row.median_hours_to_action is None else row.median_hours_to_action]

    lines: list[list[object]] = [header, [report.year, "total", "", "", "", *counts(report.total)]]
    for provider in report.by_provider:
        lines.append([report.year, "hosting_provider", provider.name, "", "", *counts(provider.counts)])
    for content in report.by_content_type:
        lines.append([report.year, "content_type", "", content.species_group or "unknown", content.product_form,
                      *counts(content.counts)[:5], ""])
    return lines


def notice_years(session: Session) -> list[int]:
    """Years in which notices were sent, newest first (for the year picker)."""
    firsts = session.execute(select(func.min(Referral.created_at), func.max(Referral.created_at)).where(
        Referral.company_id.is_not(None), Referral.status != NO_RECIPIENT)).one()
    if firsts[0] is None:
        return []
    first, last = (value if isinstance(value, datetime) else datetime.fromisoformat(str(value)) for value in firsts)
    return list(range(last.year, first.year - 1, -1))
