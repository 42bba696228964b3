"""Companies that take listings down: who answers for which platform or domain, their
contact, webhook URL and API key. (The endpoint itself, secrets and test events:
`app.services.endpoints`.)

The webhook secret and the API key are returned once, by `create_company` (and the
rotations); the key is kept only as a hash, the secret as written (we need it to sign).
Registering a company, or giving it a platform or a domain, routes the "no recipient"
referrals it now answers for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlmodel import Session

from app.config import Settings
from app.content.platforms import idna_host, normalise_domain, registrable_domain
from app.errors import Conflict, Invalid
from app.i18n import _
from app.models import Company, CompanyDomain, CompanyPlatform, OutboxMessage, Referral, User, WebhookSecret
from app.security import hash_api_key, new_api_key
from app.services import audit, referrals
from app.services.endpoints import check_webhook_url, endpoint_state
from app.webhooks import net
from app.webhooks.delivery import MessageStatus
from app.webhooks.signing import generate_secret

NAME_MAX = 200
API_KEY_PREFIX_LENGTH = 12  # "csk_" and 8 characters: enough to tell keys apart in a list


@dataclass
class CompanyCredentials:
    """A company with the secret and key to show the admin once (None: unchanged)."""

    company: Company
    webhook_secret: str | None = None
    api_key: str | None = None
    routed: int = 0  # "no recipient" referrals queued for it


@dataclass
class CompanySummary:
    company: Company
    platforms: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    unanswered: int = 0
    waiting: int = 0  # messages not delivered yet
    failed: int = 0  # messages given up on

    @property
    def endpoint_state(self) -> str:
        return endpoint_state(self.company)


# --- Validation --------------------------------------------------------------------------


def _clean_name(session: Session, name: str, *, company_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_("Please give the company's name."), field="name")
    if len(name) > NAME_MAX:
        raise Invalid(_("The name must be at most %(n)s characters.", n=NAME_MAX), field="name")
    taken = session.execute(
        select(Company.id).where(func.lower(Company.name) == name.lower(), Company.id != (company_id or 0))
    ).first()
    if taken:
        raise Conflict(_("A company called %(name)s already exists.", name=name), extra={"field": "name"})
    return name


def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise Invalid(
            _("This is not a valid e-mail address: %(reason)s", reason=str(error)), field="contact_email"
        ) from None


def _catalogue(content: Any) -> Any:
    return getattr(content, "platforms", None) if content is not None else None


def platform_choices(content: Any) -> list[tuple[str, str]]:
    """(id, "Name (company)") of every platform in platforms.yaml, by name."""
    catalogue = _catalogue(content)
    if catalogue is None:
        return []
    return sorted(
        ((p.id, p.name if p.company == p.name else f"{p.name} ({p.company})") for p in catalogue.platforms),
        key=lambda item: item[1].lower(),
    )


def _clean_platforms(session: Session, ids: Iterable[str], *, content: Any, company_id: int | None) -> list[str]:
    catalogue = _catalogue(content)
    cleaned: list[str] = []
    for raw in ids:
        platform_id = (raw or "").strip().lower()
        if not platform_id or platform_id in cleaned:
            continue
        if catalogue is None or catalogue.get(platform_id) is None:
            raise Invalid(
                _("There is no platform %(id)s in the platform catalogue.", id=platform_id), field="platforms"
            )
        cleaned.append(platform_id)
    if cleaned:
        owner = session.execute(
            select(CompanyPlatform.platform_id, Company.name)
            .join(Company, Company.id == CompanyPlatform.company_id)
            .where(CompanyPlatform.platform_id.in_(cleaned), Company.id != (company_id or 0))
        ).first()
        if owner:
            raise Conflict(
                _("The platform %(platform)s already belongs to %(company)s.", platform=owner[0], company=owner[1]),
                extra={"field": "platforms"},
            )
    return cleaned


def _registrable_part(text: str) -> str | None:
    try:
        return registrable_domain(idna_host(text))
    except ValueError:
        return None


def _clean_domains(session: Session, domains: Iterable[str], *, company_id: int | None) -> list[str]:
    cleaned: list[str] = []
    for raw in domains:
        text = (raw or "").strip()
        if not text:
            continue
        try:
            domain = normalise_domain(text)
        except ValueError:
            suggestion = _registrable_part(text)
            if suggestion:
                message = _("%(domain)s is not a registrable domain: write %(suggestion)s (its subdomains follow it).",
                            domain=text[:100], suggestion=suggestion)
            else:
                message = _("%(domain)s is not a registrable domain (write it like ebay.co.uk, without https:// "
                            "or a path).", domain=text[:100])
            raise Invalid(message, field="domains") from None
        if domain not in cleaned:
            cleaned.append(domain)
    if cleaned:
        owner = session.execute(
            select(CompanyDomain.domain, Company.name)
            .join(Company, Company.id == CompanyDomain.company_id)
            .where(CompanyDomain.domain.in_(cleaned), Company.id != (company_id or 0))
        ).first()
        if owner:
            raise Conflict(
                _("The domain %(domain)s already belongs to %(company)s.", domain=owner[0], company=owner[1]),
                extra={"field": "domains"},
            )
    return cleaned


def split_list(text: str | Iterable[str] | None) -> list[str]:
    """Domains typed one per line or separated by commas or spaces."""
    if text is None:
        return []
    if isinstance(text, str):
        return [part for part in text.replace(",", " ").split() if part]
    return [part for part in text if part]


# --- Reading -------------------------------------------------------------------------------


def platforms_of(session: Session, company_id: int) -> list[str]:
    return list(
        session.execute(
            select(CompanyPlatform.platform_id)
            .where(CompanyPlatform.company_id == company_id)
            .order_by(CompanyPlatform.platform_id)
        ).scalars()
    )


def domains_of(session: Session, company_id: int) -> list[str]:
    return list(
        session.execute(
            select(CompanyDomain.domain).where(CompanyDomain.company_id == company_id).order_by(CompanyDomain.domain)
        ).scalars()
    )


def _counts(session: Session, column: Any, where: Any) -> dict[int, int]:
    return dict(session.execute(select(column, func.count()).where(where).group_by(column)).all())


def list_companies(
    session: Session,
    *,
    company_ids: list[int] | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[CompanySummary]:
    """Companies with their platforms, domains and what is waiting on them: by name, or by
    id when paging (`after_id`, `limit`)."""
    query = select(Company)
    if company_ids is not None:
        query = query.where(Company.id.in_(company_ids))
    if limit is not None:
        if after_id is not None:
            query = query.where(Company.id > after_id)
        query = query.order_by(Company.id).limit(limit)
    else:
        query = query.order_by(func.lower(Company.name))
    companies = list(session.execute(query).scalars())
    if not companies:
        return []
    ids = [c.id for c in companies]
    platforms: dict[int, list[str]] = {}
    for company_id, platform_id in session.execute(
        select(CompanyPlatform.company_id, CompanyPlatform.platform_id)
        .where(CompanyPlatform.company_id.in_(ids))
        .order_by(CompanyPlatform.platform_id)
    ):
        platforms.setdefault(company_id, []).append(platform_id)
    domains: dict[int, list[str]] = {}
    for company_id, domain in session.execute(
        select(CompanyDomain.company_id, CompanyDomain.domain)
        .where(CompanyDomain.company_id.in_(ids))
        .order_by(CompanyDomain.domain)
    ):
        domains.setdefault(company_id, []).append(domain)
    unanswered = _counts(
        session, Referral.company_id, (Referral.company_id.in_(ids)) & Referral.outcome.is_(None)
    )
    waiting = _counts(
        session,
        OutboxMessage.company_id,
        OutboxMessage.company_id.in_(ids)
        & OutboxMessage.status.in_([MessageStatus.pending, MessageStatus.delivering]),
    )
    failed = _counts(
        session, OutboxMessage.company_id,
        OutboxMessage.company_id.in_(ids) & (OutboxMessage.status == MessageStatus.failed),
    )
    return [
        CompanySummary(
            company=c,
            platforms=platforms.get(c.id, []),  # type: ignore[arg-type]
            domains=domains.get(c.id, []),  # type: ignore[arg-type]
            unanswered=unanswered.get(c.id, 0),  # type: ignore[arg-type]
            waiting=waiting.get(c.id, 0),  # type: ignore[arg-type]
            failed=failed.get(c.id, 0),  # type: ignore[arg-type]
        )
        for c in companies
    ]


def summary_of(session: Session, company: Company) -> CompanySummary:
    return list_companies(session, company_ids=[company.id])[0]  # type: ignore[list-item]


# --- Writing -------------------------------------------------------------------------------


def _set_platforms(session: Session, company: Company, platform_ids: list[str]) -> None:
    session.execute(delete(CompanyPlatform).where(CompanyPlatform.company_id == company.id))
    session.flush()
    session.add_all(CompanyPlatform(company_id=company.id, platform_id=p) for p in platform_ids)  # type: ignore[arg-type]


def _set_domains(session: Session, company: Company, domains: list[str]) -> None:
    session.execute(delete(CompanyDomain).where(CompanyDomain.company_id == company.id))
    session.flush()
    session.add_all(CompanyDomain(company_id=company.id, domain=d) for d in domains)  # type: ignore[arg-type]


def _new_api_key(company: Company) -> str:
    key = new_api_key()
    company.api_key_hash = hash_api_key(key)
    company.api_key_prefix = key[:API_KEY_PREFIX_LENGTH]
    return key


def create_company(
    session: Session,
    *,
    name: str,
    platforms: Iterable[str] = (),
    domains: Iterable[str] = (),
    contact_email: str | None = None,
    webhook_url: str | None = None,
    active: bool = True,
    actor: User | None,
    settings: Settings,
    content: Any,
    resolver: net.Resolver | None = None,
) -> CompanyCredentials:
    """Register a company; its webhook secret and API key are in the answer, and only there."""
    clean_name = _clean_name(session, name, company_id=None)
    platform_ids = _clean_platforms(session, platforms, content=content, company_id=None)
    clean_domains = _clean_domains(session, domains, company_id=None)
    email = _clean_email(contact_email)
    url = check_webhook_url(webhook_url, settings=settings, resolver=resolver)

    company = Company(name=clean_name, contact_email=email, webhook_url=url, active=active,
                      api_key_hash="", api_key_prefix="")
    api_key = _new_api_key(company)
    session.add(company)
    session.flush()
    secret = generate_secret()
    session.add(WebhookSecret(company_id=company.id, secret=secret))  # type: ignore[arg-type]
    _set_platforms(session, company, platform_ids)
    _set_domains(session, company, clean_domains)
    session.flush()
    audit.record(
        session, action="company.created", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
        actor=actor,
        after={"name": clean_name, "platforms": platform_ids, "domains": clean_domains, "contact_email": email,
               "webhook_url": url, "active": active},
    )
    routed = referrals.route_waiting_referrals(session, company=company, settings=settings, content=content,
                                               actor=actor)
    return CompanyCredentials(company=company, webhook_secret=secret, api_key=api_key, routed=routed)


UPDATABLE = frozenset({"name", "platforms", "domains", "contact_email", "webhook_url", "active"})


def update_company(
    session: Session,
    *,
    company: Company,
    changes: Mapping[str, Any],
    actor: User | None,
    settings: Settings,
    content: Any,
    resolver: net.Resolver | None = None,
) -> CompanyCredentials:
    """Apply the fields present in `changes`; lists replace the company's lists.

    A new webhook URL clears a disabled endpoint's state (the admin fixed it). Activating
    a company or giving it platforms or domains routes the referrals waiting for it.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise Invalid(_("These fields cannot be changed: %(fields)s.", fields=", ".join(sorted(unknown))))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if "name" in changes:
        name = _clean_name(session, changes["name"], company_id=company.id)
        if name != company.name:
            before["name"], after["name"] = company.name, name
            company.name = name
    if "platforms" in changes:
        platform_ids = _clean_platforms(session, changes["platforms"] or [], content=content, company_id=company.id)
        old = platforms_of(session, company.id)  # type: ignore[arg-type]
        if sorted(platform_ids) != old:
            before["platforms"], after["platforms"] = old, sorted(platform_ids)
            _set_platforms(session, company, platform_ids)
    if "domains" in changes:
        clean_domains = _clean_domains(session, changes["domains"] or [], company_id=company.id)
        old = domains_of(session, company.id)  # type: ignore[arg-type]
        if sorted(clean_domains) != old:
            before["domains"], after["domains"] = old, sorted(clean_domains)
            _set_domains(session, company, clean_domains)
    if "contact_email" in changes:
        email = _clean_email(changes["contact_email"])
        if email != company.contact_email:
            before["contact_email"], after["contact_email"] = company.contact_email, email
            company.contact_email = email
    if "webhook_url" in changes:
        url = check_webhook_url(changes["webhook_url"], settings=settings, resolver=resolver)
        if url != company.webhook_url:
            before["webhook_url"], after["webhook_url"] = company.webhook_url, url
            company.webhook_url = url
            company.endpoint_disabled_at = None
            company.endpoint_disabled_reason = None
            company.failing_since = None
    if "active" in changes and changes["active"] is not None and bool(changes["active"]) != company.active:
        before["active"], after["active"] = company.active, bool(changes["active"])
        company.active = bool(changes["active"])
    session.add(company)
    session.flush()
    routed = 0
    if after:
        audit.record(session, action="company.updated", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
                     actor=actor, before=before, after=after)
        if {"platforms", "domains", "active"} & set(after):
            routed = referrals.route_waiting_referrals(session, company=company, settings=settings,
                                                       content=content, actor=actor)
    return CompanyCredentials(company=company, routed=routed)


def rotate_api_key(session: Session, *, company: Company, actor: User | None) -> str:
    """A new outcome API key; the old one stops working at once."""
    before = company.api_key_prefix
    key = _new_api_key(company)
    session.add(company)
    session.flush()
    audit.record(session, action="company.api_key_rotated", entity_type="company", entity_id=company.id,  # type: ignore[arg-type]
                 actor=actor, before={"api_key_prefix": before}, after={"api_key_prefix": company.api_key_prefix})
    return key

