"""The species catalogue (`species.csv`) and the code-word list (`code_words.csv`).

Cells that hold several values separate them with " | ". Errors name the CSV line
where the row starts (line 1 is the header).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from app.content.errors import ContentError
from app.content.models import (
    APPENDIX_CODES,
    APPENDIX_RANK,
    CODE_WORD_KINDS,
    CONTENT_LANGS,
    SPECIES_GROUPS,
    CodeWord,
    Species,
)

SPECIES_COLUMNS = (
    "id", "scientific_name", "rank", "group", "cites_appendix",
    "common_names_en", "common_names_fr", "common_names_de", "common_names_zh",
    "product_forms", "live_trade", "source",
)  # fmt: skip
CODE_WORD_COLUMNS = ("term", "language", "kind", "meaning", "species_group", "source")
RANKS = ("subspecies", "species", "genus", "family", "order", "class")
SPECIES_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
SEPARATOR = "|"


def split_cell(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(SEPARATOR) if part.strip())


def _rows(path: Path, rel: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise ContentError(rel, "the file is missing")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ContentError(rel, "the file is empty", line=1) from None
        header = [name.strip().removeprefix("\ufeff") for name in header]
        if tuple(header) != columns:
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            detail = []
            if missing:
                detail.append(f"missing {', '.join(missing)}")
            if extra:
                detail.append(f"unexpected {', '.join(extra)}")
            if not detail:
                detail.append("columns are in the wrong order")
            raise ContentError(
                rel, f"the header must be exactly: {','.join(columns)} ({'; '.join(detail)})", line=1
            )
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ContentError(rel, f"malformed CSV: {exc}", line=start) from exc
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise ContentError(rel, f"expected {len(columns)} cells, found {len(cells)}", line=start)
            yield start, {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}


def parse_appendix(value: str) -> tuple[str, ...]:
    """Parse "I/II/NC" into ("I", "II", "NC"); ValueError on anything else."""
    parts = tuple(part.strip() for part in value.split("/"))
    if not value.strip() or any(part not in APPENDIX_CODES for part in parts):
        raise ValueError(value)
    if len(set(parts)) != len(parts):
        raise ValueError(value)
    return tuple(code for code in APPENDIX_CODES if code in parts)


def load_species(path: Path, rel: str = "species.csv") -> tuple[Species, ...]:
    species: list[Species] = []
    lines: dict[str, int] = {}
    for line, row in _rows(path, rel, SPECIES_COLUMNS):
        species_id = row["id"]
        if not species_id:
            raise ContentError(rel, "the row has no id", line=line)
        item = f"species '{species_id}'"
        if not SPECIES_ID_RE.match(species_id):
            raise ContentError(
                rel, "the id must be lowercase letters, digits and single hyphens", line=line, item=item
            )
        if species_id in lines:
            raise ContentError(
                rel, f"duplicate species id (first on line {lines[species_id]})", line=line, item=item
            )
        if not row["scientific_name"]:
            raise ContentError(rel, "the row has no scientific_name", line=line, item=item)
        if row["rank"] not in RANKS:
            raise ContentError(
                rel,
                f"unknown rank '{row['rank']}' (expected one of: {', '.join(RANKS)})",
                line=line,
                item=item,
            )
        if row["group"] not in SPECIES_GROUPS:
            raise ContentError(
                rel,
                f"unknown group '{row['group']}' (expected one of: {', '.join(SPECIES_GROUPS)})",
                line=line,
                item=item,
            )
        try:
            appendix = parse_appendix(row["cites_appendix"])
        except ValueError:
            raise ContentError(
                rel,
                f"unknown CITES appendix '{row['cites_appendix']}' (use I, II, III, NC joined by '/', e.g. I/II/NC)",
                line=line,
                item=item,
            ) from None
        live = row["live_trade"].lower()
        if live not in ("yes", "no"):
            raise ContentError(
                rel, f"live_trade must be yes or no, not '{row['live_trade']}'", line=line, item=item
            )
        names = {lang: split_cell(row[f"common_names_{lang}"]) for lang in CONTENT_LANGS}
        ranks = [APPENDIX_RANK[code] for code in appendix if code in APPENDIX_RANK]
        species.append(
            Species(
                id=species_id,
                scientific_name=row["scientific_name"],
                rank=row["rank"],
                group=row["group"],  # type: ignore[arg-type]
                appendix=appendix,
                appendix_rank=min(ranks) if ranks else None,
                common_names={lang: values for lang, values in names.items() if values},
                product_forms=split_cell(row["product_forms"]),
                live_trade=live == "yes",
                sources=split_cell(row["source"]),
            )
        )
        lines[species_id] = line
    if not species:
        raise ContentError(rel, "the catalogue has no species")
    return tuple(species)


def load_code_words(path: Path, rel: str = "code_words.csv") -> tuple[CodeWord, ...]:
    words: list[CodeWord] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in _rows(path, rel, CODE_WORD_COLUMNS):
        term = row["term"]
        if not term:
            raise ContentError(rel, "the row has no term", line=line)
        item = f"term '{term}'"
        if row["kind"] not in CODE_WORD_KINDS:
            raise ContentError(
                rel,
                f"unknown kind '{row['kind']}' (expected one of: {', '.join(CODE_WORD_KINDS)})",
                line=line,
                item=item,
            )
        if not LANGUAGE_RE.match(row["language"]):
            raise ContentError(
                rel,
                f"language must be a lowercase ISO 639 code such as en or zh, not '{row['language']}'",
                line=line,
                item=item,
            )
        if not row["meaning"]:
            raise ContentError(rel, "the row has no meaning", line=line, item=item)
        key = (term.casefold(), row["language"])
        if key in seen:
            raise ContentError(rel, f"duplicate term (first on line {seen[key]})", line=line, item=item)
        seen[key] = line
        words.append(
            CodeWord(
                term=term,
                language=row["language"],
                kind=row["kind"],  # type: ignore[arg-type]
                meaning=row["meaning"],
                species_group=row["species_group"],
                sources=split_cell(row["source"]),
            )
        )
    return tuple(words)
