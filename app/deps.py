"""Typed dependencies: each name says what the route gets, and the checks come with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlmodel import Session

from app.config import Settings
from app.content import TrainingContent
from app.db import Database
from app.errors import DomainError, Forbidden, NotAuthenticated
from app.i18n import _, format_date
from app.models import Company, Role, User, UserSession, utcnow
from app.security import hash_api_key
from app.services import accounts, reporters, reports, training
from app.services.reporters import Reporter

# Dependencies that only look at what the request already holds are `async def`: FastAPI runs
# a plain `def` dependency in the thread pool, a hop that costs more than such a check.
SESSION_COOKIE = "cs_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]


def get_session(request: Request) -> Iterator[Session]:
    """The request is the transaction: one commit when the route returns, a rollback on error."""
    database: Database = request.app.state.db
    with database.session(write=request.method not in SAFE_METHODS) as session:
        try:
            yield session
            session.commit()
        except DomainError as error:
            if error.commit:
                session.commit()
            else:
                _rollback_keeping_objects(session)
            raise
        except BaseException:
            _rollback_keeping_objects(session)
            raise


def _rollback_keeping_objects(session: Session) -> None:
    # Detach first: a rollback would expire the current user, and the error page still shows them.
    session.expunge_all()
    session.rollback()


# scope="function": the commit happens before the response is sent, so a failed commit is an error answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _credentials(request: Request) -> tuple[str | None, str]:
    """The token and its kind: the API reads only the Bearer token, pages only the cookie."""
    if is_api_request(request):
        return _bearer_token(request), "api"
    return request.cookies.get(SESSION_COOKIE), "web"


def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The person behind this request."""
    if hasattr(request.state, "user"):
        return request.state.user
    token, kind = _credentials(request)
    found = accounts.user_for_token(session, token=token, kind=kind, settings=settings) if token else None
    user, user_session = found if found else (None, None)
    request.state.user = user
    request.state.user_session = user_session
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_optional_reporter(request: Request, session: SessionDep, settings: SettingsDep) -> Reporter | None:
    """The person behind a report request, as `get_optional_user` finds them, with their
    standing read in the same statement (`reports.submit` takes it)."""
    token, kind = _credentials(request)
    since = utcnow() - reports.LIMIT_WINDOW
    found = reporters.for_token(session, token=token, kind=kind, settings=settings, since=since) if token else None
    request.state.user = found.user if found else None
    request.state.user_session = found.user_session if found else None
    return found


OptionalReporter = Annotated[Reporter | None, Depends(get_optional_reporter)]


async def require_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated(_("Please log in first."))
    return user


CurrentUser = Annotated[User, Depends(require_user)]


async def current_session(request: Request, user: CurrentUser) -> UserSession:
    return request.state.user_session


CurrentSession = Annotated[UserSession, Depends(current_session)]


async def require_expert(user: CurrentUser) -> User:
    if user.role not in (Role.expert, Role.admin):
        raise Forbidden(_("This page is for Coalition experts."))
    return user


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise Forbidden(_("This page is for admins."))
    return user


async def require_certified(user: CurrentUser) -> User:
    """Reporting needs a current certification; experts and admins are not gated."""
    _check_certified(user)
    return user


async def require_certified_reporter(reporter: OptionalReporter) -> Reporter:
    """As `require_certified`, for the routes that submit reports."""
    if reporter is None:
        raise NotAuthenticated(_("Please log in first."))
    _check_certified(reporter.user)
    return reporter


def _check_certified(user: User) -> None:
    if not training.is_certified(user):
        if user.certified_until is None:
            message = _("Reporting opens once you have passed the training quiz. Start with the lessons at /training.")
        else:
            message = _("Your certification ended on %(date)s. Pass the quiz again at /training to renew it.",
                        date=format_date(user.certified_until))
        raise Forbidden(
            message,
            code="certification_required",
            extra={"training_url": "/training",
                   "certified_until": user.certified_until.isoformat() if user.certified_until else None},
        )


CurrentExpert = Annotated[User, Depends(require_expert)]
CurrentAdmin = Annotated[User, Depends(require_admin)]
CertifiedVolunteer = Annotated[User, Depends(require_certified)]
CertifiedReporter = Annotated[Reporter, Depends(require_certified_reporter)]


async def get_content(request: Request) -> TrainingContent:
    """The training content loaded and validated at start-up: lessons, quiz, catalogues."""
    return request.app.state.content


ContentDep = Annotated[TrainingContent, Depends(get_content)]


def require_company(request: Request, session: SessionDep) -> Company:
    token = _bearer_token(request)
    company = None
    if token:
        company = session.execute(select(Company).where(Company.api_key_hash == hash_api_key(token))).scalars().first()
    if company is None or not company.active:
        raise NotAuthenticated(_("A valid company API key is required (Authorization: Bearer <key>)."))
    return company


CompanyClient = Annotated[Company, Depends(require_company)]
