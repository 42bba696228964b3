"""Router-level guards for the HTML pages: who may enter, and CSRF on every unsafe method."""

from __future__ import annotations

from fastapi import Depends, Request

from app.csrf import verify_csrf
from app.deps import OptionalUser, require_admin, require_certified, require_expert, require_user


async def _csrf_after_user(request: Request, user: OptionalUser) -> None:
    # The user (and so the session the token is bound to) must be known before the check.
    await verify_csrf(request)


csrf_protected = Depends(_csrf_after_user)
signed_in = Depends(require_user)
certified = Depends(require_certified)
expert_only = Depends(require_expert)
admin_only = Depends(require_admin)
