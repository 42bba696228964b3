"""Species search for the report form's species picker.

A volunteer types part of a name, in any of the four content languages or Latin,
perhaps without accents or with a typo, on a phone. Matching is done on folded text
(unidecode + casefold, punctuation as spaces); Chinese names are matched as written,
by substring. Results are ranked by how the best name of each taxon matched:

    exact  >  prefix  >  word-prefix  >  substring  >  fuzzy (small typos)

and, within a rank, by the length of the matched name (shorter first), then names in
the reader's language. The index is built once per catalogue and cached; a query is a
few hundred string comparisons plus, only when the exact ranks leave room, one
rapidfuzz pass over precomputed word prefixes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA
from unidecode import unidecode

from app.content.models import CONTENT_LANGS, DEFAULT_LANG, Species

MatchKind = Literal["exact", "prefix", "word", "substring", "fuzzy"]
SCIENTIFIC = "sci"  # `matched_lang` of a hit on the scientific name

_TIERS: tuple[MatchKind, ...] = ("exact", "prefix", "word", "substring", "fuzzy")
_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_MIN_FUZZY_LENGTH = 4


def fold(text: str) -> str:
    """Lowercase ASCII with single spaces: "Tortue à éperon" -> "tortue a eperon"."""
    text = unidecode(_APOSTROPHES.sub("", text)).casefold()
    text = _APOSTROPHES.sub("", text)
    return _NOT_ALNUM.sub(" ", text).strip()


def _fold_cjk(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def _max_typos(length: int) -> int:
    if length < _MIN_FUZZY_LENGTH:
        return 0
    if length <= 7:
        return 1
    if length <= 12:
        return 2
    return 3


@dataclass(frozen=True, slots=True)
class SpeciesHit:
    """One taxon found, with the name that matched and names to show the reader."""

    species: Species
    matched_name: str
    matched_lang: str  # "en", "fr", "de", "zh", or "sci" for the scientific name
    match: MatchKind
    common_names: tuple[str, ...]  # in the reader's language, else English
    common_names_lang: str

    @property
    def id(self) -> str:
        return self.species.id

    @property
    def scientific_name(self) -> str:
        return self.species.scientific_name

    @property
    def label(self) -> str:
        """First common name with the scientific name in brackets, or the scientific name alone."""
        if self.common_names:
            return f"{self.common_names[0]} ({self.species.scientific_name})"
        return self.species.scientific_name


@dataclass(frozen=True, slots=True)
class _Entry:
    species_index: int
    name: str
    lang: str
    key: str
    padded: str  # " " + key, for word-prefix tests
    cjk: bool


class SpeciesIndex:
    """Search structures over one catalogue. Build once, query many times."""

    def __init__(self, species: Iterable[Species]) -> None:
        self.species: tuple[Species, ...] = tuple(species)
        latin: list[_Entry] = []
        cjk: list[_Entry] = []
        for position, taxon in enumerate(self.species):
            names: list[tuple[str, str]] = [(SCIENTIFIC, taxon.scientific_name)]
            for lang in CONTENT_LANGS:
                names.extend((lang, name) for name in taxon.common_names.get(lang, ()))
            seen: set[tuple[str, bool]] = set()
            for lang, name in names:
                is_cjk = bool(_CJK.search(name))
                key = _fold_cjk(name) if is_cjk else fold(name)
                if not key or (key, is_cjk) in seen:
                    continue
                seen.add((key, is_cjk))
                entry = _Entry(position, name, lang, key, " " + key, is_cjk)
                (cjk if is_cjk else latin).append(entry)
        self._latin = tuple(latin)
        self._cjk = tuple(cjk)
        # Fuzzy targets: prefixes of every word-suffix of every folded name, grouped
        # by length, so a query of n characters is compared only with strings of
        # length n-k..n+k (k = allowed typos) in one rapidfuzz call.
        by_length: dict[int, dict[str, set[int]]] = {}
        for entry_number, entry in enumerate(self._latin):
            starts = [0] + [m.end() for m in re.finditer(" ", entry.key)]
            for start in starts:
                tail = entry.key[start:]
                for length in range(_MIN_FUZZY_LENGTH - 1, len(tail) + 1):
                    by_length.setdefault(length, {}).setdefault(tail[:length], set()).add(entry_number)
        self._fuzzy: dict[int, tuple[tuple[str, ...], tuple[frozenset[int], ...]]] = {
            length: (tuple(targets), tuple(frozenset(v) for v in targets.values()))
            for length, targets in by_length.items()
        }

    def __len__(self) -> int:
        return len(self.species)

    def search(self, q: str, *, lang: str = DEFAULT_LANG, limit: int = 20) -> list[SpeciesHit]:
        if limit <= 0 or not q or not q.strip():
            return []
        lang = lang if lang in CONTENT_LANGS else DEFAULT_LANG
        # best[species] = (sort key, entry, tier)
        best: dict[int, tuple[tuple, _Entry, int]] = {}

        def consider(entry: _Entry, tier: int, distance: int = 0) -> None:
            preferred = 0 if entry.lang in (lang, SCIENTIFIC) else 1
            rank = (tier, distance, len(entry.name), preferred, entry.name.casefold())
            current = best.get(entry.species_index)
            if current is None or rank < current[0]:
                best[entry.species_index] = (rank, entry, tier)

        if _CJK.search(q):
            query = _fold_cjk(q)
            for entry in self._cjk:
                if query in entry.key:
                    if entry.key == query:
                        consider(entry, 0)
                    elif entry.key.startswith(query):
                        consider(entry, 1)
                    else:
                        consider(entry, 3)
        else:
            query = fold(q)
            if not query:
                return []
            padded = " " + query
            for entry in self._latin:
                if query in entry.key:
                    if entry.key == query:
                        consider(entry, 0)
                    elif entry.key.startswith(query):
                        consider(entry, 1)
                    elif padded in entry.padded:
                        consider(entry, 2)
                    else:
                        consider(entry, 3)
            typos = _max_typos(len(query))
            if typos and len(best) < limit:
                self._fuzzy_pass(query, typos, consider, best)

        ranked = sorted(best.values(), key=lambda item: (item[0], self.species[item[1].species_index].id))
        hits = []
        for _, entry, tier in ranked[:limit]:
            taxon = self.species[entry.species_index]
            names = taxon.common_names.get(lang, ())
            names_lang = lang
            if not names:
                names, names_lang = taxon.common_names.get(DEFAULT_LANG, ()), DEFAULT_LANG
            hits.append(
                SpeciesHit(
                    species=taxon,
                    matched_name=entry.name,
                    matched_lang=entry.lang,
                    match=_TIERS[tier],
                    common_names=names,
                    common_names_lang=names_lang,
                )
            )
        return hits

    def _fuzzy_pass(self, query: str, typos: int, consider, best) -> None:  # type: ignore[no-untyped-def]
        found: dict[int, int] = {}  # entry number -> smallest distance
        for length in range(len(query) - typos, len(query) + typos + 1):
            bucket = self._fuzzy.get(length)
            if bucket is None:
                continue
            targets, entries = bucket
            for _, distance, position in process.extract(
                query, targets, scorer=OSA.distance, score_cutoff=typos, limit=None
            ):
                for entry_number in entries[position]:
                    if distance < found.get(entry_number, typos + 1):
                        found[entry_number] = distance
        for entry_number, distance in found.items():
            entry = self._latin[entry_number]
            if entry.species_index in best and best[entry.species_index][2] < 4:
                continue
            consider(entry, 4, distance)


_CACHE_SIZE = 8
_cache: OrderedDict[int, tuple[object, SpeciesIndex]] = OrderedDict()
_cache_lock = threading.Lock()


def species_index(catalogue: object) -> SpeciesIndex:
    """The cached index for a catalogue: a TrainingContent, a SpeciesIndex, or a tuple of Species.

    Catalogues are cached by identity (they are immutable once loaded); pass a tuple,
    not a list you will change later.
    """
    if isinstance(catalogue, SpeciesIndex):
        return catalogue
    key = id(catalogue)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] is catalogue:
            _cache.move_to_end(key)
            return cached[1]
    species = getattr(catalogue, "species", catalogue)
    if not isinstance(species, Iterable):
        raise TypeError(f"not a species catalogue: {type(catalogue).__name__}")
    index = SpeciesIndex(species)  # type: ignore[arg-type]
    with _cache_lock:
        _cache[key] = (catalogue, index)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def search_species(catalogue: object, q: str, *, lang: str, limit: int = 20) -> list[SpeciesHit]:
    """Taxa whose scientific or common name (en, fr, de, zh) matches `q`, best first.

    `catalogue` is the loaded TrainingContent (or its `species` tuple). Empty or
    whitespace-only `q` returns []. Each hit names the matched name and offers the
    common names in `lang`, falling back to English.
    """
    if not q or not q.strip():
        return []
    return species_index(catalogue).search(q, lang=lang, limit=limit)
