"""The report form: one page, finished in under a minute on a phone, with or without JavaScript.

Without JavaScript it is a plain multipart form: "Find" searches the species catalogue
and shows the matches as choices, "Send report" posts everything and answers 303 to the
report's page, or 422 with the form filled in again and every problem beside its field.
With htmx the platform appears as the URL is typed, species suggestions as the name is
typed, and errors replace the form in place (the chosen pictures stay chosen).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.deps import CertifiedVolunteer, ContentDep, SessionDep, SettingsDep
from app.errors import Conflict, Invalid, RateLimited, TooLarge
from app.i18n import get_locale
from app.routes.guards import csrf_protected, signed_in
from app.routes.uploads import UploadLimitedRoute
from app.routes.web import redirect
from app.schemas.reports import MAX_LENGTHS, ReportCreate
from app.services import evidence, listings, report_fields, reports
from app.services.evidence import Upload
from app.services.species import search_species
from app.services.urls import InvalidListingURL, extract_url
from app.templating import is_htmx, render

router = APIRouter(dependencies=[signed_in, csrf_protected], include_in_schema=False, route_class=UploadLimitedRoute)

TEMPLATE = "reporting/report_form.html"
SUGGESTIONS = 8


def _species_choice(content: ContentDep, species_id: str | None) -> dict[str, Any] | None:
    species = content.species_by_id.get(species_id or "")
    if species is None:
        return None
    name = species.display_name(get_locale())
    label = name if name == species.scientific_name else f"{name} ({species.scientific_name})"
    return {"id": species.id, "label": label, "appendix": species.appendix_label, "group": species.group}


def _species_choices(content: ContentDep, query: str | None, selected: str | None) -> list[dict[str, Any]]:
    """The chosen species first, then the catalogue's matches for what was typed."""
    choices = []
    chosen = _species_choice(content, selected)
    if chosen:
        choices.append(chosen)
    if query and query.strip():
        for hit in search_species(content, query[:100], lang=get_locale(), limit=SUGGESTIONS):
            if chosen is None or hit.id != chosen["id"]:
                choices.append({"id": hit.id, "label": hit.label, "appendix": hit.species.appendix_label,
                                "group": hit.species.group})
    return choices


def _platform_info(session: SessionDep, content: ContentDep, url: str | None) -> dict[str, Any] | None:
    """What the form says under the URL: the platform, "not one we know", or why it cannot be a listing."""
    text = (url or "").strip()
    if not text:
        return None
    try:
        found = listings.recognise_shared(session, text=text, content=content)
    except InvalidListingURL as problem:
        return {"error": problem.message}
    return {"name": found.platform_name, "listing_id": found.listing_id, "host": found.host}


def _form_page(
    request: Request, session: SessionDep, content: ContentDep, settings: SettingsDep, *,
    form: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200,
    files_lost: bool = False, searched: bool = False,
) -> HTMLResponse:
    context = {
        "form": form,
        "errors": errors or {},
        "species_choices": _species_choices(content, form.get("species_q"), form.get("species_id")),
        "searched": searched,
        "platform": _platform_info(session, content, form.get("listing_url")),
        "countries": report_fields.country_choices(get_locale()),
        "currencies": report_fields.currency_choices(get_locale()),
        "accept": evidence.ACCEPT,
        "max_files": settings.evidence_per_report,
        "max_megabytes": f"{settings.evidence_max_bytes / 2**20:g}",
        "max_lengths": MAX_LENGTHS,
        "files_lost": files_lost,
    }
    block = "report_form" if is_htmx(request) and request.method == "POST" else None
    return render(request, TEMPLATE, context, status_code=status_code, block=block)


@router.get("/report", response_class=HTMLResponse)
def report_form(
    request: Request, reporter: CertifiedVolunteer, session: SessionDep, content: ContentDep, settings: SettingsDep,
    url: str | None = None, text: str | None = None, title: str | None = None,
) -> HTMLResponse:
    """The form, pre-filled from `?url=` or from shared text (`?text=`, `?title=`): the phone's share sheet."""
    shared_url = next((found for found in map(extract_url, (url or "", text or "", title or "")) if found),
                      (url or "").strip())
    form = {"listing_url": shared_url[:8192], "confidence": "medium"}
    shared_title = report_fields.clean_text(title)
    if shared_title and extract_url(shared_title) is None:
        form["listing_title"] = shared_title[: MAX_LENGTHS["listing_title"]]
    return _form_page(request, session, content, settings, form=form)


def _uploads(files: list[UploadFile]) -> list[Upload]:
    # A file input left empty still sends one part, with no name and no bytes.
    return [Upload(f.filename, f.file) for f in files if f.filename or (f.size or 0) > 0]


def _live_animal(value: str) -> bool | None:
    return {"live": True, "product": False}.get(value)


@router.post("/report", response_class=HTMLResponse)
def submit_report(
    request: Request, reporter: CertifiedVolunteer, session: SessionDep, content: ContentDep, settings: SettingsDep,
    listing_url: Annotated[str, Form()] = "",
    species_q: Annotated[str, Form()] = "",
    species_id: Annotated[str, Form()] = "",
    species_guess: Annotated[str, Form()] = "",
    confidence: Annotated[str, Form()] = "medium",
    live_animal: Annotated[str, Form()] = "",
    price: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    seller_handle: Annotated[str, Form()] = "",
    listing_title: Annotated[str, Form()] = "",
    listing_text: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "submit",
    evidence_files: Annotated[list[UploadFile], File(alias="evidence")] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Send a report; "Find" (action=find_species) only searches the species and shows the form again."""
    form = {
        "listing_url": listing_url, "species_q": species_q, "species_id": species_id, "species_guess": species_guess,
        "confidence": confidence, "live_animal": live_animal, "price": price, "currency": currency,
        "country": country, "seller_handle": seller_handle, "listing_title": listing_title,
        "listing_text": listing_text, "notes": notes,
    }
    uploads = _uploads(evidence_files)
    if action == "find_species":
        return _form_page(request, session, content, settings, form=form, searched=True, files_lost=bool(uploads))

    field_errors: dict[str, str] = {}
    try:
        parsed_price = report_fields.parse_price(price)
    except ValueError as problem:
        parsed_price, field_errors["price"] = None, str(problem)
    data = ReportCreate.model_construct(
        listing_url=listing_url, species_id=species_id or None, species_guess=species_guess or None,
        confidence=confidence, live_animal=_live_animal(live_animal), price=parsed_price,
        currency=currency or None, country=country or None, seller_handle=seller_handle or None,
        listing_title=listing_title or None, listing_text=listing_text or None, notes=notes or None,
    )
    try:
        submission = reports.submit(session, reporter=reporter, data=data, uploads=uploads, content=content,
                                    settings=settings, field_errors=field_errors)
    except (Invalid, TooLarge) as problem:
        errors = problem.extra.get("errors") or {getattr(problem, "field", None) or problem.extra.get("field")
                                                 or "__all__": problem.message}
        return _form_page(request, session, content, settings, form=form, errors=errors,
                          status_code=problem.status_code, files_lost=bool(uploads) and not is_htmx(request))
    except (Conflict, RateLimited) as problem:
        errors = {"__all__": problem.message}
        if problem.extra.get("report_url"):
            errors["__first_report__"] = problem.extra["report_url"]
        response = _form_page(request, session, content, settings, form=form, errors=errors,
                              status_code=problem.status_code, files_lost=bool(uploads) and not is_htmx(request))
        response.headers.update(problem.headers)
        return response
    target = f"{reports.report_url(submission.report.id)}?new=1"  # type: ignore[arg-type]
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return redirect(target)


@router.get("/report/species-suggestions", response_class=HTMLResponse)
def species_suggestions(
    request: Request, reporter: CertifiedVolunteer, content: ContentDep,
    q: str = "", species_q: str = "", species_id: str = "",
) -> HTMLResponse:
    """The species choices for what is typed so far (an htmx fragment of the form)."""
    query = (q or species_q)[:100]
    context = {
        "form": {"species_q": query, "species_id": species_id},
        "errors": {},
        "species_choices": _species_choices(content, query, species_id),
        "searched": bool(query.strip()),
    }
    return render(request, TEMPLATE, context, block="species_choices")


@router.get("/report/platform", response_class=HTMLResponse)
def platform_fragment(
    request: Request, reporter: CertifiedVolunteer, session: SessionDep, content: ContentDep,
    url: str = "", listing_url: str = "",
) -> HTMLResponse:
    """The platform of the URL typed so far (an htmx fragment of the form)."""
    context = {"platform": _platform_info(session, content, (url or listing_url)[:8192]), "errors": {}}
    return render(request, TEMPLATE, context, block="platform_info")

