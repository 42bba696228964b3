"""Admin pages: companies, their webhook endpoint, the delivery log and referrals.

Secrets and API keys are shown on the page that answers the form that made them
(never in a URL, never cached) and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import ContentDep, CurrentAdmin, SessionDep, SettingsDep
from app.errors import DomainError, NotFound
from app.i18n import _, lazy_gettext, ngettext
from app.models import Company
from app.routes.guards import admin_only, csrf_protected
from app.routes.web import redirect, safe_next
from app.services import companies, deliveries, endpoints, referrals, review
from app.templating import is_htmx, render, render_page_or_block

router = APIRouter(prefix="/admin", dependencies=[admin_only, csrf_protected], include_in_schema=False)

ENDPOINT_STATES = {
    "ok": lazy_gettext("Working"),
    "untested": lazy_gettext("Nothing sent yet"),
    "failing": lazy_gettext("Failing"),
    "disabled": lazy_gettext("Disabled"),
    "not_configured": lazy_gettext("No webhook URL"),
    "inactive": lazy_gettext("Company inactive"),
}
MESSAGE_STATUSES = {
    "pending": lazy_gettext("Waiting"),
    "delivering": lazy_gettext("Being sent"),
    "delivered": lazy_gettext("Delivered"),
    "failed": lazy_gettext("Failed"),
    "cancelled": lazy_gettext("Cancelled"),
}
REFERRAL_STATUSES = {
    "no_recipient": lazy_gettext("No recipient"),
    "pending": lazy_gettext("Waiting to be delivered"),
    "delivered": lazy_gettext("Delivered"),
    "failed": lazy_gettext("Delivery failed"),
    "answered": lazy_gettext("Answered"),
    "withdrawn": lazy_gettext("Withdrawn (listing re-opened)"),
}
OUTCOMES = {
    "removed": lazy_gettext("Removed"),
    "not_removed": lazy_gettext("Not removed"),
    "not_found": lazy_gettext("Already gone"),
}
SAVED_MESSAGES = {
    "saved": lambda n: _("The company has been saved."),
    "enabled": lambda n: _("The endpoint is enabled again; the messages that waited for it are being sent."),
    "retried": lambda n: _("The message will be sent again in a moment."),
    "recovered": lambda n: ngettext("%(num)s failed message will be sent again.",
                                    "%(num)s failed messages will be sent again.", n),
}
NO_STORE = {"Cache-Control": "no-store"}


def _names() -> dict[str, Any]:
    return {
        "listing_statuses": review.status_names(),
        "endpoint_states": {key: str(value) for key, value in ENDPOINT_STATES.items()},
        "message_statuses": {key: str(value) for key, value in MESSAGE_STATUSES.items()},
        "referral_statuses": {key: str(value) for key, value in REFERRAL_STATUSES.items()},
        "outcomes": {key: str(value) for key, value in OUTCOMES.items()},
    }


def _company(session: SessionDep, company_id: int) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(_("No such company."))
    return company


def _message(saved: str | None, n: int = 0) -> str | None:
    return SAVED_MESSAGES[saved](n) if saved in SAVED_MESSAGES else None


# --- Companies ---------------------------------------------------------------------------------


@router.get("/companies", response_class=HTMLResponse)
def companies_page(request: Request, session: SessionDep) -> HTMLResponse:
    waiting = referrals.list_referrals(session, status="no_recipient", limit=1)[0]
    return render(request, "admin/companies/list.html", {
        "companies": companies.list_companies(session), "has_waiting": bool(waiting), **_names(),
    })


def _form_page(request: Request, content: ContentDep, *, company: Company | None, form: dict[str, Any],
               errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/companies/form.html", {
        "company": company, "form": form, "errors": errors or {},
        "platform_choices": companies.platform_choices(content),
    }, status_code=status_code)


def _errors_of(error: DomainError) -> dict[str, str]:
    field = error.extra.get("field") or getattr(error, "field", None)
    return {field or "__all__": error.message}


FormText = Annotated[str, Form(max_length=2048)]


def _form_values(name: str, platforms: list[str], domains: str, contact_email: str, webhook_url: str,
                 active: str | None) -> dict[str, Any]:
    return {"name": name, "platforms": platforms, "domains": domains, "contact_email": contact_email,
            "webhook_url": webhook_url, "active": active is not None}


@router.get("/companies/new", response_class=HTMLResponse)
def new_company_page(request: Request, content: ContentDep) -> HTMLResponse:
    return _form_page(request, content, company=None, form={"active": True, "platforms": []})


@router.post("/companies", response_class=HTMLResponse)
def create_company(
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    content: ContentDep,
    name: Annotated[str, Form(max_length=200)] = "",
    platforms: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies defaults)
    domains: Annotated[str, Form(max_length=20000)] = "",
    contact_email: Annotated[str, Form(max_length=320)] = "",
    webhook_url: FormText = "",
    active: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    form = _form_values(name, platforms, domains, contact_email, webhook_url, active)
    try:
        created = companies.create_company(
            session, name=name, platforms=platforms, domains=companies.split_list(domains),
            contact_email=contact_email, webhook_url=webhook_url, active=form["active"], actor=admin,
            settings=settings, content=content,
        )
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        return _form_page(request, content, company=None, form=form, errors=_errors_of(error), status_code=422)
    return render(request, "admin/companies/credentials.html", {
        "company": created.company, "webhook_secret": created.webhook_secret, "api_key": created.api_key,
        "routed": created.routed, "created": True,
    }, headers=NO_STORE)


def _detail(request: Request, session: SessionDep, company: Company, *, ping: Any = None,
            message: str | None = None, block: str | None = None) -> HTMLResponse:
    summary = companies.summary_of(session, company)
    attempts, _next = deliveries.list_attempts(session, company_id=company.id, limit=10)  # type: ignore[arg-type]
    rows, _next = referrals.list_referrals(session, company_id=company.id, limit=20)
    settings = request.app.state.settings
    context = {"summary": summary, "company": company, "attempts": attempts, "referrals": rows, "ping": ping,
               "message": message, "grace_hours": settings.webhook_secret_grace_hours,
               "disable_after_days": settings.webhook_disable_after_days, **_names()}
    if block:
        return render_page_or_block(request, "admin/companies/detail.html", block, context)
    return render(request, "admin/companies/detail.html", context)


@router.get("/companies/{company_id}", response_class=HTMLResponse)
def company_page(company_id: int, request: Request, session: SessionDep, saved: str | None = None) -> HTMLResponse:
    return _detail(request, session, _company(session, company_id), message=_message(saved))


@router.get("/companies/{company_id}/edit", response_class=HTMLResponse)
def edit_company_page(company_id: int, request: Request, session: SessionDep, content: ContentDep) -> HTMLResponse:
    company = _company(session, company_id)
    form = {"name": company.name, "platforms": companies.platforms_of(session, company_id),
            "domains": "\n".join(companies.domains_of(session, company_id)),
            "contact_email": company.contact_email or "", "webhook_url": company.webhook_url or "",
            "active": company.active}
    return _form_page(request, content, company=company, form=form)


@router.post("/companies/{company_id}/edit", response_class=HTMLResponse)
def update_company(
    company_id: int,
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    content: ContentDep,
    name: Annotated[str, Form(max_length=200)] = "",
    platforms: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    domains: Annotated[str, Form(max_length=20000)] = "",
    contact_email: Annotated[str, Form(max_length=320)] = "",
    webhook_url: FormText = "",
    active: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    company = _company(session, company_id)
    form = _form_values(name, platforms, domains, contact_email, webhook_url, active)
    changes = {**form, "domains": companies.split_list(domains)}
    try:
        companies.update_company(session, company=company, changes=changes, actor=admin, settings=settings,
                                 content=content)
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        company = _company(session, company_id)
        return _form_page(request, content, company=company, form=form, errors=_errors_of(error), status_code=422)
    return redirect(f"/admin/companies/{company_id}?saved=saved")


@router.post("/companies/{company_id}/rotate-secret", response_class=HTMLResponse)
def rotate_secret(company_id: int, request: Request, admin: CurrentAdmin, session: SessionDep,
                  settings: SettingsDep) -> HTMLResponse:
    company = _company(session, company_id)
    rotated = endpoints.rotate_secret(session, company=company, actor=admin, settings=settings)
    return render(request, "admin/companies/credentials.html", {
        "company": company, "webhook_secret": rotated.secret, "previous_signs_until": rotated.previous_signs_until,
    }, headers=NO_STORE)


@router.post("/companies/{company_id}/rotate-api-key", response_class=HTMLResponse)
def rotate_api_key(company_id: int, request: Request, admin: CurrentAdmin, session: SessionDep) -> HTMLResponse:
    company = _company(session, company_id)
    key = companies.rotate_api_key(session, company=company, actor=admin)
    return render(request, "admin/companies/credentials.html", {"company": company, "api_key": key},
                  headers=NO_STORE)


@router.post("/companies/{company_id}/ping", response_class=HTMLResponse)
def send_test_event(company_id: int, request: Request, admin: CurrentAdmin, session: SessionDep,
                    settings: SettingsDep) -> HTMLResponse:
    company = _company(session, company_id)
    event = endpoints.prepare_test_event(session, company=company)
    # End the request's transaction before the network call: on SQLite a write request holds
    # the write lock, and nobody else may wait on it while the endpoint takes its time.
    session.commit()
    result = endpoints.send_test_event(session, event=event, actor=admin, settings=settings)
    return _detail(request, session, company, ping=result, block="ping_result" if is_htmx(request) else None)


@router.post("/companies/{company_id}/enable-endpoint")
def enable_endpoint(company_id: int, admin: CurrentAdmin, session: SessionDep) -> Response:
    endpoints.enable_endpoint(session, company=_company(session, company_id), actor=admin)
    return redirect(f"/admin/companies/{company_id}?saved=enabled")


# --- Delivery log ----------------------------------------------------------------------------------


def _deliveries(request: Request, session: SessionDep, company: Company, *, status: str | None = None,
                cursor: str | None = None, message: str | None = None, form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    success = {"succeeded": True, "failed": False}.get(status or "")
    attempts, next_cursor = deliveries.list_attempts(session, company_id=company.id, success=success,  # type: ignore[arg-type]
                                                     limit=50, cursor=cursor)
    failed, more_failed = deliveries.list_deliveries(session, company_id=company.id, status="failed", limit=50)
    return render(request, "admin/companies/deliveries.html", {
        "company": company, "summary": companies.summary_of(session, company), "attempts": attempts,
        "status": status if success is not None else "", "next_cursor": next_cursor, "cursor": cursor,
        "failed": failed, "more_failed": bool(more_failed), "message": message,
        "form": form or {"since": (date.today() - timedelta(days=7)).isoformat()}, "errors": errors or {},
        **_names(),
    }, status_code=status_code)


@router.get("/companies/{company_id}/deliveries", response_class=HTMLResponse)
def deliveries_page(
    company_id: int,
    request: Request,
    session: SessionDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    saved: str | None = None,
    n: int = 0,
) -> HTMLResponse:
    return _deliveries(request, session, _company(session, company_id), status=status, cursor=cursor,
                       message=_message(saved, n))


@router.post("/deliveries/{message_id}/retry")
def retry_delivery(
    message_id: str, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep,
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    message = deliveries.retry_message(session, message_id=message_id, actor=admin, settings=settings)
    target = safe_next(next, f"/admin/companies/{message.company_id}/deliveries")
    return redirect(target + ("&" if "?" in target else "?") + "saved=retried")


@router.post("/companies/{company_id}/recover", response_class=HTMLResponse)
def recover(
    company_id: int, request: Request, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep,
    since: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    company = _company(session, company_id)
    try:
        day = date.fromisoformat(since.strip())
    except ValueError:
        return _deliveries(request, session, company, form={"since": since}, status_code=422,
                           errors={"since": _("Give the date as on a calendar, for example 2026-11-24.")})
    count = deliveries.recover_failed(session, company=company, since=datetime.combine(day, time(0), tzinfo=UTC),
                                      actor=admin, settings=settings)
    return redirect(f"/admin/companies/{company_id}/deliveries?saved=recovered&n={count}")


# --- Referrals -----------------------------------------------------------------------------------


@router.get("/referrals", response_class=HTMLResponse)
def referrals_page(
    request: Request,
    session: SessionDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    status = status if status in REFERRAL_STATUSES else None
    rows, next_cursor = referrals.list_referrals(session, status=status, limit=50, cursor=cursor)
    return render(request, "admin/companies/referrals.html", {
        "rows": rows, "status": status or "", "next_cursor": next_cursor, "cursor": cursor, **_names(),
    })


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(referral_id: int, request: Request, session: SessionDep, saved: str | None = None) -> HTMLResponse:
    referral, listing, company = referrals.get_referral(session, referral_id)
    items, _next = deliveries.list_deliveries(session, referral_id=referral_id, limit=20)
    return render(request, "admin/companies/referral.html", {
        "referral": referral, "listing": listing, "company": company, "deliveries": items,
        "message": _message(saved), **_names(),
    })
