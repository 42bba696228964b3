"""The expert review pages: the queue, a listing, claims, decisions, bulk reject, code words.

Every action is a plain form: without JavaScript it posts and is answered with a 303
(or the page again with 422 and what was typed); with htmx, claim, release and the
decisions swap the listing's action panel in place (`actions` block).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import CurrentAdmin, CurrentExpert, SessionDep, SettingsDep
from app.errors import Conflict, DomainError, Invalid
from app.i18n import _, babel_locale
from app.models import Listing, Role, User, utcnow
from app.routes.guards import csrf_protected, expert_only
from app.routes.web import redirect, safe_next
from app.services import claims, code_words, decisions, review, review_history, review_queue, review_texts
from app.services.listings import code_word_matcher
from app.services.review_queue import QueueFilters
from app.services.stats_labels import appendix_names, group_names, platform_names
from app.templating import is_htmx, render

router = APIRouter(prefix="/review", dependencies=[expert_only, csrf_protected], include_in_schema=False)

QUEUE = "review/queue.html"
LISTING = "review/listing.html"
Text = Annotated[str | None, Form(max_length=4000)]
ShortText = Annotated[str | None, Form(max_length=200)]


# --- The queue ---------------------------------------------------------------------------


def _filter_choices(content: object | None) -> dict[str, Any]:
    species = sorted(getattr(content, "species", ()) or (), key=lambda s: (s.group, s.scientific_name))
    return {
        "status_names": review.status_names(),
        "platform_names": dict(sorted(platform_names(content).items(), key=lambda item: item[1].casefold())),
        "group_names": {key: value for key, value in group_names().items() if key},
        "appendix_names": {key: value for key, value in appendix_names().items() if key in ("I", "II", "III")},
        "species_choices": species,
    }


def _query_filters(request: Request) -> dict[str, str]:
    """The filter fields of the queue's GET form, as typed (empty ones dropped)."""
    names = ("status", "platform", "species_id", "group", "appendix", "country", "since", "until",
             "claimed_by_me", "code_word")
    return {name: request.query_params[name].strip()[:200] for name in names if request.query_params.get(name, "").strip()}


def _filters_from(values: dict[str, str]) -> QueueFilters:
    since = review_queue.parse_day(values.get("since"), field="since")
    until = review_queue.parse_day(values.get("until"), field="until", end_of_day=True)
    return review_queue.build_filters(
        status=values.get("status"), platform=values.get("platform"), species_id=values.get("species_id"),
        group=values.get("group"), appendix=values.get("appendix"), country=values.get("country"),
        since=since, until=until, claimed_by_me=bool(values.get("claimed_by_me")),
        code_word=bool(values.get("code_word")),
    )


def _queue_page(request: Request, session: SessionDep, user: User, *, values: dict[str, str],
                cursor: str | None, errors: dict[str, str] | None = None, selected: list[int] | None = None,
                bulk_values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    content = request.app.state.content
    errors = dict(errors or {})
    try:
        filters = _filters_from(values)
        page = review_queue.queue_page(session, filters=filters, viewer=user, cursor=cursor)
    except Invalid as error:
        errors[error.field or "__all__"] = error.message
        status_code = 422
        page = review_queue.queue_page(session, filters=QueueFilters(), viewer=user)
    views = review.describe(session, page.items, content=content)
    next_url = f"/review?{urlencode({**values, 'cursor': page.next_cursor})}" if page.next_cursor else None
    context = {
        "views": views,
        "values": values,
        "errors": errors,
        "next_url": next_url,
        "first_url": f"/review?{urlencode(values)}" if cursor else None,
        "filters_query": urlencode(values),
        "open_count": review_queue.count_open(session),
        "count_cap": review_queue.COUNT_CAP,
        "selected": set(selected or []),
        "bulk_values": bulk_values or {},
        "reject_reasons": review_texts.reject_reason_choices(),
        "flash": _flash(request, session, user),
        "now": utcnow(),
        **_filter_choices(content),
    }
    return render(request, QUEUE, context, status_code=status_code)


def _ids(raw: str | None) -> list[int]:
    return [int(part) for part in (raw or "").split(",") if part.strip().isdigit()][:200]


def _flash(request: Request, session: SessionDep, user: User) -> list[tuple[str, str]]:
    """Messages carried by the redirect after a claim, a decision or a bulk rejection."""
    params = request.query_params
    messages: list[tuple[str, str]] = []
    names = review.status_names()
    if params.get("done", "").isdigit():
        listing = session.get(Listing, int(params["done"]))
        if listing is not None:
            messages.append(("success", _("Listing #%(id)s: %(status)s.", id=listing.id, status=names[listing.status])))
    if params.get("released", "").isdigit():
        messages.append(("success", _("Listing #%(id)s is back in the queue.", id=params["released"])))
    rejected, skipped = _ids(params.get("bulk_rejected")), _ids(params.get("bulk_skipped"))
    if rejected:
        messages.append(("success", _("Rejected: %(ids)s.", ids=", ".join(f"#{i}" for i in rejected))))
    for listing_id in skipped:
        messages.append(("warning", _skip_reason(session, listing_id, user)))
    return messages


def _skip_reason(session: SessionDep, listing_id: int, user: User) -> str:
    listing = session.get(Listing, listing_id)
    if listing is None:
        return _("Skipped #%(id)s: there is no such listing.", id=listing_id)
    holder_id = review.active_holder_id(listing, utcnow())
    if holder_id is not None and holder_id != user.id:
        holder = session.get(User, holder_id)
        return _("Skipped #%(id)s: %(name)s is reviewing it.", id=listing_id,
                 name=holder.display_name if holder else _("another expert"))
    return _("Skipped #%(id)s: it is %(status)s and cannot be rejected.", id=listing_id,
             status=review.status_names()[listing.status])


@router.get("", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, user: CurrentExpert,
          cursor: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    return _queue_page(request, session, user, values=_query_filters(request), cursor=cursor)


@router.post("/bulk-reject", response_class=HTMLResponse)
def bulk_reject(
    request: Request,
    session: SessionDep,
    expert: CurrentExpert,
    settings: SettingsDep,
    listing_ids: Annotated[list[int] | None, Form()] = None,
    reason: ShortText = None,
    note: Text = None,
    back: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    values = {key: value for key, value in _parse_query(back).items() if key != "cursor"}
    try:
        result = decisions.bulk_reject(session, listing_ids=listing_ids or [], expert=expert, reason=reason,
                                       note=note, settings=settings, content=request.app.state.content)
    except Invalid as error:
        return _queue_page(request, session, expert, values=values, cursor=None,
                           errors={f"bulk_{error.field or 'reason'}": error.message}, selected=listing_ids,
                           bulk_values={"reason": reason or "", "note": note or ""}, status_code=422)
    flash = {"bulk_rejected": ",".join(map(str, result.rejected)),
             "bulk_skipped": ",".join(str(i) for i, _m in result.skipped)}
    return redirect(f"/review?{urlencode({**values, **{k: v for k, v in flash.items() if v}})}")


def _parse_query(query: str | None) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return {key: value for key, value in parse_qsl((query or "")[:2000]) if value}


# --- One listing -------------------------------------------------------------------------


def _listing_context(request: Request, session: SessionDep, user: User, listing: Listing) -> dict[str, Any]:
    content = request.app.state.content
    now = utcnow()
    view = review.describe(session, [listing], content=content, now=now, with_answers=True,
                           with_track_records=True)[0]
    found_terms = code_word_matcher(session, content).find(
        *[text for r in view.reports for text in (r.report.listing_title, r.report.listing_text, r.report.notes)]
    )
    species = sorted(getattr(content, "species", ()) or (), key=lambda s: (s.group, s.scientific_name))
    questions = review.questions_of(session, listing.id)  # type: ignore[arg-type]
    return {
        "view": view,
        "listing": listing,
        "status_names": review.status_names(),
        "questions": questions,
        "question_texts": {question.id: question.text for question in questions},
        "history": review_history.listing_history(session, listing.id),  # type: ignore[arg-type]
        "action_names": review_history.action_names(),
        "repeat_sellers": review.repeat_sellers(session, listing),
        "found_terms": found_terms,
        "highlight": lambda text: code_words.highlight(text, found_terms),
        "species_choices": species,
        "group_names": group_names(),
        "finding_templates": review_texts.finding_template_choices(),
        "reject_reasons": review_texts.reject_reason_choices(),
        "reject_reason_label": review_texts.reject_reason_label,
        "holds_it": review.active_holder_id(listing, now) == user.id,
        "is_admin": user.role == Role.admin,
        "is_open": listing.status in review_queue.OPEN_STATUSES,
        "next_listing": _next_listing(session, user, exclude=listing.id),  # type: ignore[arg-type]
        "now": now,
        "claim_minutes": request.app.state.settings.claim_minutes,
        "decided_by": session.get(User, listing.decided_by_id) if listing.decided_by_id else None,
        "country_name": lambda code: babel_locale().territories.get(code, code) if code else "",
    }


def _next_listing(session: SessionDep, user: User, *, exclude: int) -> Listing | None:
    """The most urgent listing nobody else holds: where "next" goes after a decision."""
    page = review_queue.queue_page(session, filters=QueueFilters(), viewer=user, limit=20)
    now = utcnow()
    return next((item for item in page.items if item.id != exclude
                 and review.active_holder_id(item, now) in (None, user.id)), None)


def _status_of(session: SessionDep, listing_id: int) -> str:
    return review.load_listing(session, listing_id).status


def _listing_page(request: Request, session: SessionDep, user: User, listing_id: int, *,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  open_form: str | None = None, message: str | None = None, error: str | None = None,
                  status_code: int = 200, block: str | None = None) -> HTMLResponse:
    listing = review.load_listing(session, listing_id)
    session.refresh(listing)
    context = _listing_context(request, session, user, listing)
    context.update(errors=errors or {}, values=values or {}, open_form=open_form, message=message, error=error)
    return render(request, LISTING, context, status_code=status_code, block=block)


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(listing_id: int, request: Request, session: SessionDep, user: CurrentExpert) -> HTMLResponse:
    messages = {"claimed": _("You hold this listing now."), "proposed": _("Thank you: an admin will look at the term."),
                "reopened": _("The listing is back in the queue."), "broken": _("The claim has been broken.")}
    message = next((text for key, text in messages.items() if key in request.query_params), None)
    return _listing_page(request, session, user, listing_id, message=message)


def _after_action(request: Request, session: SessionDep, user: User, listing_id: int, *, redirect_to: str,
                  message: str | None = None) -> Response:
    """htmx: the action panel again, in place; a plain form: a 303."""
    if is_htmx(request):
        return _listing_page(request, session, user, listing_id, message=message, block="actions")
    return redirect(redirect_to)


def _refused(request: Request, session: SessionDep, user: User, listing_id: int, error: DomainError, *,
             open_form: str | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    """The listing page (or its action panel) again, with what went wrong and what was typed."""
    field_errors = {}
    if isinstance(error, Invalid) and error.field:
        field_errors[f"{open_form}_{error.field}" if open_form else error.field] = error.message
    return _listing_page(
        request, session, user, listing_id, errors=field_errors, values=values, open_form=open_form,
        error=None if field_errors else error.message, status_code=error.status_code,
        block="actions" if is_htmx(request) else None,
    )


@router.post("/listings/{listing_id}/claim", response_class=HTMLResponse)
def claim(listing_id: int, request: Request, session: SessionDep, expert: CurrentExpert,
          settings: SettingsDep) -> Response:
    try:
        claims.claim(session, listing_id=listing_id, expert=expert, settings=settings)
    except Conflict as error:
        return _refused(request, session, expert, listing_id, error)
    return _after_action(request, session, expert, listing_id, redirect_to=f"/review/listings/{listing_id}?claimed=1",
                         message=_("You hold this listing now."))


@router.post("/listings/{listing_id}/release", response_class=HTMLResponse)
def release(listing_id: int, request: Request, session: SessionDep, expert: CurrentExpert) -> Response:
    try:
        claims.release(session, listing_id=listing_id, expert=expert)
    except Conflict as error:
        return _refused(request, session, expert, listing_id, error)
    return _after_action(request, session, expert, listing_id, redirect_to=f"/review?released={listing_id}",
                         message=_("The listing is back in the queue."))


@router.post("/listings/{listing_id}/decision", response_class=HTMLResponse)
def decide(
    listing_id: int,
    request: Request,
    session: SessionDep,
    expert: CurrentExpert,
    settings: SettingsDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    species_id: ShortText = None,
    finding_template: ShortText = None,
    note: Text = None,
    reason: ShortText = None,
    question: Text = None,
    version: Annotated[int | None, Form()] = None,
) -> Response:
    data = decisions.DecisionInput(decision=decision, species_id=species_id, finding_template=finding_template,
                                   note=note, reason=reason, question=question, version=version)
    try:
        decisions.decide(session, listing_id=listing_id, expert=expert, data=data, settings=settings,
                         content=request.app.state.content)
    except (Invalid, Conflict) as error:
        typed = {key: value or "" for key, value in data.__dict__.items() if key != "version"}
        return _refused(request, session, expert, listing_id, error,
                        open_form=decision if decision in decisions.DECISIONS else None, values=typed)
    return _after_action(request, session, expert, listing_id, redirect_to=f"/review?done={listing_id}",
                         message=_("Done: %(status)s.", status=review.status_names()[_status_of(session, listing_id)]))


@router.post("/listings/{listing_id}/reopen", response_class=HTMLResponse)
def reopen(listing_id: int, request: Request, session: SessionDep, user: CurrentAdmin,
           reason: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    """Admins only: the guard is in the signature, so the role matrix sees it."""
    try:
        decisions.reopen(session, listing_id=listing_id, admin=user, reason=reason)
    except (Invalid, Conflict) as error:
        return _refused(request, session, user, listing_id, error, open_form="reopen", values={"reason": reason or ""})
    return _after_action(request, session, user, listing_id, redirect_to=f"/review/listings/{listing_id}?reopened=1",
                         message=_("The listing is back in the queue."))


@router.post("/listings/{listing_id}/break-claim", response_class=HTMLResponse)
def break_claim(listing_id: int, request: Request, session: SessionDep, user: CurrentAdmin,
                reason: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    try:
        claims.break_claim(session, listing_id=listing_id, admin=user, reason=reason)
    except (Invalid, Conflict) as error:
        return _refused(request, session, user, listing_id, error, open_form="break", values={"reason": reason or ""})
    return _after_action(request, session, user, listing_id, redirect_to=f"/review/listings/{listing_id}?broken=1",
                         message=_("The claim has been broken."))


@router.post("/code-words", response_class=HTMLResponse)
def propose_code_word(
    request: Request,
    session: SessionDep,
    expert: CurrentExpert,
    term: ShortText = None,
    language: Annotated[str | None, Form(max_length=16)] = None,
    meaning: Annotated[str | None, Form(max_length=400)] = None,
    species_group: ShortText = None,
    listing_id: Annotated[int | None, Form()] = None,
) -> Response:
    values = {"term": term or "", "language": language or "", "meaning": meaning or "",
              "species_group": species_group or ""}
    try:
        code_words.propose(session, expert=expert, term=term, language=language, meaning=meaning,
                           species_group=species_group, content=request.app.state.content)
    except (Invalid, Conflict) as error:
        if listing_id is None:
            raise
        field = error.field if isinstance(error, Invalid) else None
        return _listing_page(request, session, expert, listing_id, open_form="code_word", values=values,
                             errors={f"code_word_{field or 'term'}": error.message}, status_code=error.status_code)
    return redirect(f"/review/listings/{listing_id}?proposed=1#code-word" if listing_id else "/review")


@router.post("/preferences")
def save_preferences(
    session: SessionDep,
    user: CurrentExpert,
    blur_evidence: Annotated[str | None, Form(max_length=8)] = None,
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """The account page's review preferences: blur evidence until clicked (on by default)."""
    user.blur_evidence = blur_evidence in ("1", "on", "true")
    session.add(user)
    return redirect(safe_next(next, "/account?saved=review"))
