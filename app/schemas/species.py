"""Species catalogue shapes: what the report form's picker and API clients see."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.content import Species
from app.services.species import SpeciesHit


class SpeciesPublic(BaseModel):
    id: str
    scientific_name: str
    common_names: list[str] = Field(description="In the reader's language (Accept-Language), else English.")
    common_names_language: str
    label: str = Field(description="First common name with the scientific name, for a picker.")
    group: str
    rank: str = Field(description="species, subspecies, genus, family (e.g. Manidae spp.), order or class.")
    cites_appendix: str = Field(description='CITES appendix as listed: "I", "II", "III", "NC", or several like "I/II".')
    cites_appendices: list[str]
    appendix_rank: int | None = Field(description="The strictest appendix (1, 2, 3); null when not listed.")
    live_trade: bool = Field(description="Traded alive online (pets), not only as parts or products.")
    product_forms: list[str]
    all_common_names: dict[str, list[str]] = Field(description="Common names per language (en, fr, de, zh).")

    @classmethod
    def of(cls, species: Species, *, lang: str) -> SpeciesPublic:
        names = list(species.common_names.get(lang, ()))
        names_lang = lang
        if not names:
            names, names_lang = list(species.common_names.get("en", ())), "en"
        label = f"{names[0]} ({species.scientific_name})" if names else species.scientific_name
        return cls(
            id=species.id,
            scientific_name=species.scientific_name,
            common_names=names,
            common_names_language=names_lang,
            label=label,
            group=species.group,
            rank=species.rank,
            cites_appendix=species.appendix_label,
            cites_appendices=list(species.appendix),
            appendix_rank=species.appendix_rank,
            live_trade=species.live_trade,
            product_forms=list(species.product_forms),
            all_common_names={code: list(values) for code, values in species.common_names.items()},
        )


class SpeciesMatchPublic(SpeciesPublic):
    """A search result; the match fields are null when the catalogue is listed without a query."""

    matched_name: str | None = Field(
        default=None, description="The name the query matched (scientific or common, any language).")
    matched_language: str | None = Field(
        default=None, description='"sci" for the scientific name, else en, fr, de or zh.')
    match: Literal["exact", "prefix", "word", "substring", "fuzzy"] | None = None

    @classmethod
    def of_species(cls, species: Species, *, lang: str) -> SpeciesMatchPublic:
        return cls(**SpeciesPublic.of(species, lang=lang).model_dump())

    @classmethod
    def of_hit(cls, hit: SpeciesHit, *, lang: str) -> SpeciesMatchPublic:
        base = SpeciesPublic.of(hit.species, lang=lang)
        return cls(**base.model_dump(), matched_name=hit.matched_name, matched_language=hit.matched_lang,
                   match=hit.match)
