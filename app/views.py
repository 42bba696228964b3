"""Labels for values shown on pages, in the reader's language."""

from __future__ import annotations

from app.i18n import _
from app.models import Role


def role_names() -> dict[str, str]:
    return {Role.volunteer: _("Volunteer"), Role.expert: _("Expert"), Role.admin: _("Admin")}
