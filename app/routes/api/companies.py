"""Companies and their webhook endpoints, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from app.deps import CurrentAdmin, SessionDep, SettingsDep, require_admin
from app.errors import NotFound
from app.i18n import _
from app.models import Company
from app.schemas.common import ErrorPublic, Page
from app.schemas.companies import (
    ApiKeyRotated,
    CompanyCreate,
    CompanyCreated,
    CompanyPublic,
    CompanyUpdate,
    PingPublic,
    RecoverCreate,
    RecoverPublic,
    SecretRotated,
)
from app.services import companies, deliveries, endpoints

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Not logged in"},
    403: {"model": ErrorPublic, "description": "Not an admin"},
    404: {"model": ErrorPublic, "description": "No such company"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"model": ErrorPublic, "description": "The name, a platform or a domain belongs to another company"},
    422: {"model": ErrorPublic, "description": "Invalid input, e.g. a webhook URL we refuse to call (the message says why)"},
}

router = APIRouter(prefix="/admin/companies", tags=["admin: companies"], dependencies=[Depends(require_admin)])


def load_company(company_id: int, session: SessionDep) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(_("No such company."))
    return company


CompanyById = Annotated[Company, Depends(load_company)]


def _public(session: SessionDep, company: Company) -> CompanyPublic:
    return CompanyPublic.of(companies.summary_of(session, company))


@router.post("", status_code=201, response_model=CompanyCreated, responses=WRITE_ERRORS)
def create_company(
    data: CompanyCreate, request: Request, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> CompanyCreated:
    """Register a company. The answer holds its webhook signing secret and its API key:
    they are shown this once (the key is stored only as a hash). Referrals that were
    waiting for a recipient on its platforms or domains are queued for it."""
    created = companies.create_company(
        session, name=data.name, platforms=data.platforms, domains=data.domains,
        contact_email=data.contact_email, webhook_url=data.webhook_url, active=data.active,
        actor=admin, settings=settings, content=request.app.state.content,
    )
    public = _public(session, created.company)
    return CompanyCreated(**public.model_dump(), webhook_secret=created.webhook_secret or "",
                          api_key=created.api_key or "", routed_referrals=created.routed)


@router.get("", response_model=Page[CompanyPublic], responses=ERRORS)
def list_companies(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CompanyPublic]:
    """Every company, with its endpoint's state and what waits on it."""
    rows = companies.list_companies(session, after_id=deliveries.decode_cursor(cursor, int), limit=limit + 1)
    next_cursor = deliveries.encode_cursor(rows[limit - 1].company.id) if len(rows) > limit else None  # type: ignore[arg-type]
    return Page(items=[CompanyPublic.of(row) for row in rows[:limit]], next_cursor=next_cursor)


@router.get("/{company_id}", response_model=CompanyPublic, responses=ERRORS)
def read_company(company: CompanyById, session: SessionDep) -> CompanyPublic:
    """One company."""
    return _public(session, company)


@router.patch("/{company_id}", response_model=CompanyPublic, responses=WRITE_ERRORS)
def update_company(
    data: CompanyUpdate, company: CompanyById, request: Request, admin: CurrentAdmin, session: SessionDep,
    settings: SettingsDep,
) -> CompanyPublic:
    """Change what is sent; lists replace the company's lists. A new webhook URL is checked
    like a new one and re-enables a disabled endpoint."""
    companies.update_company(session, company=company, changes=data.model_dump(exclude_unset=True), actor=admin,
                             settings=settings, content=request.app.state.content)
    return _public(session, company)


@router.post("/{company_id}/rotate-secret", response_model=SecretRotated, responses=ERRORS)
def rotate_secret(company: CompanyById, admin: CurrentAdmin, session: SessionDep,
                  settings: SettingsDep) -> SecretRotated:
    """A new signing secret, shown this once. It signs from now on; the previous one keeps
    signing beside it for the grace period (24 h by default), so receivers can switch."""
    rotated = endpoints.rotate_secret(session, company=company, actor=admin, settings=settings)
    return SecretRotated(webhook_secret=rotated.secret, previous_secret_signs_until=rotated.previous_signs_until)


@router.post("/{company_id}/rotate-api-key", response_model=ApiKeyRotated, responses=ERRORS)
def rotate_api_key(company: CompanyById, admin: CurrentAdmin, session: SessionDep) -> ApiKeyRotated:
    """A new outcome API key, shown this once. The old key stops working at once."""
    key = companies.rotate_api_key(session, company=company, actor=admin)
    return ApiKeyRotated(api_key=key, api_key_prefix=company.api_key_prefix)


@router.post("/{company_id}/enable-endpoint", response_model=CompanyPublic, responses=ERRORS)
def enable_endpoint(company: CompanyById, admin: CurrentAdmin, session: SessionDep) -> CompanyPublic:
    """Re-enable an endpoint that was disabled (410 Gone, or days without a success).
    The messages that waited for it are sent again."""
    endpoints.enable_endpoint(session, company=company, actor=admin)
    return _public(session, company)


@router.post("/{company_id}/ping", response_model=PingPublic, responses={
    **ERRORS, 422: {"model": ErrorPublic, "description": "The company has no webhook URL"}})
def ping(company: CompanyById, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> PingPublic:
    """Send a signed `ping` event to the endpoint now and answer what it replied: status,
    latency, the start of its answer, or the error. Waits for the endpoint (15 s at most)."""
    # End the request's transaction before the network call: on SQLite a write request holds
    # the database's write lock, and nobody else may write while an endpoint takes its time.
    event = endpoints.prepare_test_event(session, company=company)
    session.commit()
    return PingPublic.of(endpoints.send_test_event(session, event=event, actor=admin, settings=settings))


@router.post("/{company_id}/recover", status_code=202, response_model=RecoverPublic, responses={
    **ERRORS, 422: {"model": ErrorPublic, "description": "since is not a date and time with a time zone"}})
def recover(data: RecoverCreate, company: CompanyById, admin: CurrentAdmin, session: SessionDep,
            settings: SettingsDep) -> RecoverPublic:
    """Send again every failed message of this company created since a date (after an
    outage on their side). They start the retry schedule afresh, with renewed evidence links."""
    count = deliveries.recover_failed(session, company=company, since=data.since, actor=admin, settings=settings)
    return RecoverPublic(requeued=count)
