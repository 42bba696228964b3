"""Demo people: one of each role, with logins that `make run` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.models import Role
from app.services import accounts

if TYPE_CHECKING:
    from app.demo import DemoContext

DEMO_PASSWORD = "wildlife-demo-2026"  # noqa: S105 (printed on purpose: demo data only)
DEMO_USERS = [
    ("admin", "admin@demo.cyberspotter.org", "Ada (admin)", Role.admin),
    ("expert", "expert@demo.cyberspotter.org", "Emeka (expert)", Role.expert),
    ("volunteer", "volunteer@demo.cyberspotter.org", "Vera (volunteer)", Role.volunteer),
]


def load(context: DemoContext) -> None:
    for key, email, name, role in DEMO_USERS:
        user = accounts.get_by_email(context.session, email)
        if user is None:
            user = accounts.register(context.session, email=email, password=DEMO_PASSWORD, display_name=name)
            user.role = role
            context.session.add(user)
        context.users[key] = user
        context.notes.append(f"{role.value:<10} {email}  password: {DEMO_PASSWORD}")
