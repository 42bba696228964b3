"""Demo data: idempotent, so `make run` can load it on every start.

Each feature adds one step module; `load_demo` runs them in order inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.demo import accounts
from app.demo import referrals as referrals_demo
from app.demo import reports as reports_demo
from app.demo import review as review_demo
from app.demo import stats as stats_demo
from app.demo import training as training_demo


@dataclass
class DemoContext:
    session: Session
    settings: Settings
    content: object | None
    users: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


Step = Callable[[DemoContext], None]
STEPS: list[Step] = [accounts.load]
STEPS.append(training_demo.load)
STEPS.append(reports_demo.load)
STEPS.append(referrals_demo.load)
STEPS.append(stats_demo.load)
STEPS.append(review_demo.load)


def load_demo(database: Database, settings: Settings, content: object | None = None) -> DemoContext:
    with database.transaction() as session:
        context = DemoContext(session=session, settings=settings, content=content)
        for step in STEPS:
            step(context)
            session.flush()
    return context
