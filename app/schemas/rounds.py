"""Rounds as the API takes and gives them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.models import Round
from app.services.rounds import EnrolmentResult, RoundProgress, VolunteerProgress, ends_on


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, examples=["Spring parrot watch"])
    starts_on: date
    weeks: int = Field(default=4, description="How many weeks of seven days, 1 to 52.")
    weekly_minimum: int = Field(default=5, description="Reports a volunteer commits to each week.")


class EnrolmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[str] = Field(default_factory=list, max_length=2000)
    user_ids: list[int] = Field(default_factory=list, max_length=2000)


class RoundPublic(BaseModel):
    id: int
    name: str
    starts_on: date
    ends_on: date = Field(description="The day after the last day of the round.")
    weeks: int
    weekly_minimum: int
    state: str = Field(description="upcoming, running or ended")
    enrolled: int | None = None

    @classmethod
    def of(cls, round_: Round, *, state: str, enrolled: int | None = None) -> RoundPublic:
        return cls(id=round_.id, name=round_.name, starts_on=round_.starts_on, ends_on=ends_on(round_),  # type: ignore[arg-type]
                   weeks=round_.weeks, weekly_minimum=round_.weekly_minimum, state=state, enrolled=enrolled)


class WeekResultPublic(BaseModel):
    number: int
    starts_on: date
    ends_on: date
    reports: int
    outcome: str = Field(description="met, missed, in_progress or upcoming")


class VolunteerProgressPublic(BaseModel):
    user_id: int
    display_name: str
    email: str | None = None
    weeks: list[WeekResultPublic]
    weeks_met: int
    total_reports: int

    @classmethod
    def of(cls, row: VolunteerProgress, *, with_email: bool) -> VolunteerProgressPublic:
        return cls(
            user_id=row.user_id, display_name=row.display_name, email=row.email if with_email else None,
            weeks=[WeekResultPublic(number=r.week.number, starts_on=r.week.starts_on, ends_on=r.week.ends_on,
                                    reports=r.reports, outcome=r.outcome) for r in row.weeks],
            weeks_met=row.weeks_met, total_reports=row.total_reports,
        )


class RoundProgressPublic(BaseModel):
    round: RoundPublic
    volunteers: list[VolunteerProgressPublic]

    @classmethod
    def of(cls, progress: RoundProgress, *, with_email: bool = True) -> RoundProgressPublic:
        return cls(round=RoundPublic.of(progress.round, state=progress.state, enrolled=len(progress.volunteers)),
                   volunteers=[VolunteerProgressPublic.of(row, with_email=with_email) for row in progress.volunteers])


class MyRoundPublic(BaseModel):
    round: RoundPublic
    weeks: list[WeekResultPublic]
    weeks_met: int

    @classmethod
    def of(cls, progress: RoundProgress) -> MyRoundPublic:
        mine = VolunteerProgressPublic.of(progress.volunteers[0], with_email=False)
        return cls(round=RoundPublic.of(progress.round, state=progress.state), weeks=mine.weeks,
                   weeks_met=mine.weeks_met)


class EnrolmentResultPublic(BaseModel):
    enrolled: list[int]
    already_enrolled: list[int]

    @classmethod
    def of(cls, result: EnrolmentResult) -> EnrolmentResultPublic:
        return cls(enrolled=[u.id for u in result.enrolled], already_enrolled=[u.id for u in result.already])  # type: ignore[misc]
