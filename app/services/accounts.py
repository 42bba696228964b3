"""Accounts: registration, login with throttling, sessions, passwords and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Row, Select, bindparam, delete, func, select, update
from sqlmodel import Session

from app import security
from app.config import Settings
from app.errors import Conflict, Forbidden, Invalid, InvalidCredentials, NotFound, RateLimited
from app.i18n import _, normalize_locale
from app.models import LoginFailure, Role, User, UserSession, utcnow
from app.services import audit

DISPLAY_NAME_MAX = 80


def normalize_email(email: str) -> str:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise Invalid(_("This is not a valid e-mail address: %(reason)s", reason=str(error)), field="email") from None
    return result.normalized.lower()


def check_password(password: str, *, email: str = "", display_name: str = "", field: str = "password") -> None:
    weakness = security.password_weakness(password, user_inputs=(email, display_name, "cyberspotter", "wildlife"))
    messages = {
        "too_short": _("The password must be at least %(n)s characters long.", n=security.MIN_PASSWORD_LENGTH),
        "too_long": _("The password must be at most %(n)s characters long.", n=security.MAX_PASSWORD_LENGTH),
        "common": _("This password is among the most common ones; please choose another."),
        "guessable": _("This password is too easy to guess; try a few unrelated words."),
    }
    if weakness:
        raise Invalid(messages[weakness], field=field, code=f"password_{weakness}")


def clean_display_name(display_name: str) -> str:
    name = " ".join(display_name.split())
    if not name:
        raise Invalid(_("Please tell us what to call you."), field="display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise Invalid(_("The display name must be at most %(n)s characters.", n=DISPLAY_NAME_MAX), field="display_name")
    return name


def get_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email.strip().lower())).scalars().first()


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role = Role.volunteer,
    locale: str | None = None,
) -> User:
    normalized = normalize_email(email)
    name = clean_display_name(display_name)
    check_password(password, email=normalized, display_name=name)
    if get_by_email(session, normalized) is not None:
        raise Conflict(_("An account with this e-mail address already exists. Try logging in."), code="email_taken")
    user = User(
        email=normalized,
        display_name=name,
        password_hash=security.hash_password(password),
        role=role,
        locale=normalize_locale(locale),
    )
    session.add(user)
    session.flush()
    audit.record(session, action="user.registered", entity_type="user", entity_id=user.id, actor=user,
                 after={"role": user.role})
    return user


def _throttle_keys(email: str, client_address: str | None) -> list[str]:
    keys = [f"account:{email.strip().lower()}"]
    if client_address:
        keys.append(f"address:{client_address}")
    return keys


def _check_throttle(session: Session, *, keys: list[str], settings: Settings) -> None:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    for key in keys:
        limit = settings.login_failures_per_account if key.startswith("account:") else settings.login_failures_per_address
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(LoginFailure.key == key, LoginFailure.at >= since)
        ).one()
        if count >= limit:
            oldest_at = oldest if isinstance(oldest, datetime) else since
            if oldest_at.tzinfo is None:
                oldest_at = oldest_at.replace(tzinfo=since.tzinfo)
            retry = (oldest_at + timedelta(minutes=settings.login_window_minutes) - utcnow()).total_seconds()
            raise RateLimited(
                _("Too many failed logins. Please wait a few minutes before trying again."),
                retry_after=int(retry) + 1,
            )


def authenticate(
    session: Session, *, email: str, password: str, client_address: str | None, settings: Settings
) -> User:
    """The user for these credentials; unknown e-mail and wrong password fail alike, in similar time."""
    keys = _throttle_keys(email, client_address)
    _check_throttle(session, keys=keys, settings=settings)
    user = get_by_email(session, email)
    valid = security.verify_password(password, user.password_hash if user and not user.is_deleted else None)
    if user is None or user.is_deleted or not valid:
        for key in keys:
            session.add(LoginFailure(key=key))
        raise InvalidCredentials(_("Wrong e-mail address or password."))
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    return user


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session_id: str
    expires_at: datetime


def start_session(session: Session, *, user: User, kind: str, settings: Settings) -> IssuedSession:
    ttl = timedelta(hours=settings.session_hours)
    record = UserSession(id=security.new_session_id(), user_id=user.id, kind=kind, expires_at=utcnow() + ttl)
    session.add(record)
    token = security.create_token(
        key=settings.signing_key, user_id=user.id, session_id=record.id, kind=kind, ttl=ttl  # type: ignore[arg-type]
    )
    return IssuedSession(token=token, session_id=record.id, expires_at=record.expires_at)


_SESSION_WITH_USER = (
    select(UserSession, User).join(User, User.id == UserSession.user_id).where(UserSession.id == bindparam("session_id"))
)


def user_for_token(session: Session, *, token: str, kind: str, settings: Settings) -> tuple[User, UserSession] | None:
    """The user and session of a valid token of this kind, or None."""
    # One statement for the session and its user (a session's user always exists: ON DELETE CASCADE).
    row = session_row_for_token(session, _SESSION_WITH_USER, token=token, kind=kind, settings=settings)
    if row is None:
        return None
    record, user = row
    return user, record


def session_row_for_token(
    session: Session, statement: Select[Any], *, token: str, kind: str, settings: Settings, **params: Any
) -> Row[Any] | None:
    """The row `statement` reads for a valid token of this kind, or None.

    `statement` selects the UserSession and its User first (any columns may follow), for the
    bound `session_id` and `params`."""
    claims = security.decode_token(token, key=settings.signing_key, kind=kind)
    if claims is None:
        return None
    row = session.execute(statement, {"session_id": claims.session_id, **params}).first()
    if row is None or not _is_live(row[0], row[1], claims=claims):
        return None
    return row


def _is_live(record: UserSession, user: User, *, claims: security.TokenClaims) -> bool:
    """Whether a session read for a token's claims still lets that token in."""
    if record.user_id != claims.user_id or record.kind != claims.kind:
        return False
    if record.revoked_at is not None or record.expires_at <= utcnow():
        return False
    return not user.is_deleted


def end_session(session: Session, *, session_id: str) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id).values(revoked_at=utcnow()))


def end_all_sessions(session: Session, *, user: User, except_session_id: str | None = None) -> None:
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
    if except_session_id:
        statement = statement.where(UserSession.id != except_session_id)
    session.execute(statement.values(revoked_at=utcnow()))


def change_password(
    session: Session, *, user: User, current_password: str, new_password: str, current_session_id: str | None
) -> None:
    if not security.verify_password(current_password, user.password_hash):
        raise Invalid(_("The current password is not right."), field="current_password", code="wrong_password")
    check_password(new_password, email=user.email, display_name=user.display_name, field="new_password")
    user.password_hash = security.hash_password(new_password)
    user.password_changed_at = utcnow()
    session.add(user)
    # Every other device is logged out; the one that changed the password stays in.
    end_all_sessions(session, user=user, except_session_id=current_session_id)
    audit.record(session, action="user.password_changed", entity_type="user", entity_id=user.id, actor=user)


def set_locale(session: Session, *, user: User, locale: str) -> None:
    user.locale = normalize_locale(locale)
    session.add(user)


def change_role(session: Session, *, admin: User, user: User, role: Role, reason: str | None = None) -> User:
    if admin.role != Role.admin:
        raise Forbidden(_("Only admins can change roles."))
    if user.is_deleted:
        raise NotFound(_("No such user."))
    if user.id == admin.id and role != Role.admin:
        raise Conflict(_("You cannot remove your own admin role; ask another admin."), code="own_role")
    before = user.role
    if before == role:
        return user
    user.role = role
    session.add(user)
    audit.record(session, action="user.role_changed", entity_type="user", entity_id=user.id, actor=admin,
                 before={"role": before}, after={"role": role}, reason=reason)
    return user


def list_users(session: Session, *, query: str | None = None, role: str | None = None, limit: int = 100,
               offset: int = 0) -> list[User]:
    statement = select(User).where(User.deleted_at.is_(None))  # type: ignore[union-attr]
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(func.lower(User.email).like(pattern) | func.lower(User.display_name).like(pattern))
    if role:
        statement = statement.where(User.role == role)
    return list(session.execute(statement.order_by(User.id).limit(limit).offset(offset)).scalars())
