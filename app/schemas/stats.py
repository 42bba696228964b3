"""Programme figures as the API answers them (`GET /api/v1/stats`)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.services.stats import ProgrammeFigures


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TotalsPublic(_Out):
    reports: int = Field(description="Reports made in the period.")
    listings: int = Field(description="Listings first reported in the period (new cases).")
    confirmed: int = Field(description="Listings confirmed by an expert in the period.")
    rejected: int = Field(description="Listings rejected by an expert in the period.")
    referred: int = Field(description="Referrals sent to a company in the period.")
    removed: int = Field(description="Listings the company reported removed in the period.")
    open: int = Field(description="Listings first reported in the period that still wait for a decision.")
    no_recipient: int = Field(description="Confirmed listings with no registered company for their platform.")


class SeriesPointPublic(_Out):
    start: date = Field(description="First day of the week (Monday) or month.")
    reports: int
    listings: int
    confirmed: int
    rejected: int
    referred: int
    removed: int


class BreakdownPublic(_Out):
    key: str | None = Field(description="Platform id, species group, CITES appendix (I, II, III, none) or "
                                        "ISO country code; null when not known.")
    label: str
    reports: int
    listings: int
    confirmed: int
    rejected: int
    referred: int
    removed: int


class CompanyFiguresPublic(_Out):
    company_id: int
    name: str
    referred: int = Field(description="Referrals sent to the company in the period.")
    removed: int
    not_removed: int
    not_found: int = Field(description="The company found the listing already gone.")
    unanswered: int = Field(description="No outcome reported yet.")


class DurationPublic(_Out):
    count: int = Field(description="How many cases the figures are computed over.")
    median_seconds: float | None
    p90_seconds: float | None = Field(description="90th percentile: nine in ten took at most this long.")


class DurationsPublic(_Out):
    report_to_decision: DurationPublic = Field(
        description="From a listing's first report to the expert's decision, over listings decided in the period.")
    confirmation_to_removal: DurationPublic = Field(
        description="From confirmation to the company's removal, over listings removed in the period.")


class UnansweredPublic(_Out):
    company_id: int
    name: str
    count: int
    not_delivered: int = Field(description="Of these, referrals the webhook has not delivered yet.")
    oldest_sent_at: datetime


class StatsPublic(BaseModel):
    since: datetime
    until: datetime
    interval: str
    totals: TotalsPublic
    series: list[SeriesPointPublic]
    by_platform: list[BreakdownPublic]
    by_company: list[CompanyFiguresPublic]
    by_group: list[BreakdownPublic]
    by_appendix: list[BreakdownPublic]
    by_country: list[BreakdownPublic]
    confirmation_rate: float | None = Field(description="confirmed / (confirmed + rejected); null when none.")
    durations: DurationsPublic
    unanswered_after_days: int
    unanswered_referrals: list[UnansweredPublic]

    @classmethod
    def of(cls, figures: ProgrammeFigures) -> StatsPublic:
        return cls.model_validate(
            {
                "since": figures.period.since,
                "until": figures.period.until,
                "interval": figures.period.interval,
                "totals": figures.totals,
                "series": figures.series,
                "by_platform": figures.by_platform,
                "by_company": figures.by_company,
                "by_group": figures.by_group,
                "by_appendix": figures.by_appendix,
                "by_country": figures.by_country,
                "confirmation_rate": figures.confirmation_rate,
                "durations": figures.durations,
                "unanswered_after_days": figures.unanswered_after_days,
                "unanswered_referrals": figures.unanswered_referrals,
            },
            from_attributes=True,
        )
