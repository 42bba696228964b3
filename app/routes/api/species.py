"""The species catalogue: search for the report form's picker, and one taxon by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.deps import ContentDep, CurrentUser, require_user
from app.errors import NotFound
from app.i18n import _, get_locale
from app.schemas.common import ErrorPublic
from app.schemas.species import SpeciesMatchPublic, SpeciesPublic
from app.services.species import search_species

router = APIRouter(prefix="/species", tags=["species"], dependencies=[Depends(require_user)])


@router.get("", response_model=list[SpeciesMatchPublic],
            responses={401: {"model": ErrorPublic, "description": "Not logged in."}})
def search(
    content: ContentDep,
    user: CurrentUser,
    q: Annotated[str, Query(max_length=100, description="Part of a scientific or common name, any language.")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SpeciesMatchPublic]:
    """Find taxa by scientific or common name in English, French, German or Chinese.

    Case, accents and small typos do not matter ("perroquet gris", "pangolim", "穿山甲").
    Best matches first: exact, then names starting with the query, then words starting with
    it, then names containing it, then near misses. Common names come in the language of
    `Accept-Language`, falling back to English. Without `q`, the catalogue in its own order.
    """
    lang = get_locale()
    if not q.strip():
        return [SpeciesMatchPublic.of_species(species, lang=lang) for species in content.species[:limit]]
    return [SpeciesMatchPublic.of_hit(hit, lang=lang) for hit in search_species(content, q, lang=lang, limit=limit)]


@router.get("/{species_id}", response_model=SpeciesPublic,
            responses={404: {"model": ErrorPublic, "description": "No taxon with this id."}})
def read_species(species_id: str, content: ContentDep, user: CurrentUser) -> SpeciesPublic:
    """One taxon of the catalogue, with its CITES appendix and the product forms seen online."""
    species = content.species_by_id.get(species_id)
    if species is None:
        raise NotFound(_("There is no species with the id “%(id)s” in the catalogue.", id=species_id))
    return SpeciesPublic.of(species, lang=get_locale())
