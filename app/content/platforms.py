"""The platform catalogue (`training_content/platforms.yaml`): companies, their
platforms, the domains they run on and how their listing URLs look.

`load_platforms(path)` reads and validates the file once; the resulting
`PlatformCatalogue` is frozen and answers `by_domain(registrable_domain)` in constant
time. `app.services.urls` uses it to recognise the platform of a reported URL, drop
tracking parameters and rebuild listing URLs from their ids.

Domains registered at run time
------------------------------
Admins register companies in the database, sometimes with domains the file does not
know (a new country site, a marketplace added after the file was written). Two ways
to take those into account, both leaving the loaded catalogue untouched:

* ``catalogue.with_extra_domains({"ebay.ie": "ebay", "vinted.fr": "vinted"})`` returns
  a new catalogue in which these domains belong to these platforms. Keys are
  normalised (lower case, IDNA, a leading ``www.`` dropped) and must be registrable
  domains. A value is the id of a platform of the catalogue, or a `Platform` (for a
  platform known only to the database). An id the catalogue does not know is allowed
  too: it stands for a platform registered only in the database and gets a bare
  `Platform` whose name is the id. Run-time mappings take precedence over the file,
  because they are the more recent decision. Build it when the admin data changes and
  keep it; building costs about as much as a hundred URL look-ups.
* ``app.services.urls.canonicalize(..., extra_domains=mapping)`` takes the same kind of
  mapping per call without building anything; its keys must then already be
  normalised (see `normalise_domain`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import idna
import tldextract
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from app.content._yaml import LINE_KEY, line_of, load_yaml, strip_lines
from app.content.errors import ContentError

PLATFORM_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A tracking parameter name, lower case; a trailing "*" makes it a prefix ("utm_*").
TRACKING_PARAM_RE = re.compile(r"^[^*\s]+\*?$")
# Names a template may use besides the named groups of its pattern.
TEMPLATE_FIELDS = frozenset({"host", "hostname", "id"})
# Host labels that are not part of a site's identity ("www.ebay.com" is "ebay.com").
IGNORED_HOST_PREFIXES = ("www.", "m.", "mobile.")

_ASCII_HOST_RE = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")


# --- Domains ---------------------------------------------------------------------------


def build_tld_extractor() -> tldextract.TLDExtract:
    """A public-suffix extractor that never touches the network or the disk.

    With no suffix list URLs and no cache directory, tldextract uses the public suffix
    list bundled with the package: it works offline and gives the same answer on
    every machine with the same pinned version.
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


_TLD = build_tld_extractor()


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str | None:
    """The registrable domain ("eTLD+1") of a normalised ASCII host, or None.

    "item.taobao.com" -> "taobao.com", "www.ebay.co.uk" -> "ebay.co.uk";
    None for a public suffix itself ("co.uk"), a single label ("localhost") or an
    unknown top-level domain.
    """
    result = _TLD.extract_str(host)
    if not result.suffix or not result.domain:
        return None
    return result.top_domain_under_public_suffix or None


def idna_host(host: str) -> str:
    """Lower-case ASCII (punycode) form of a host name; ValueError if it is not one.

    Uses UTS #46 mapping, so "BÜCHER.de" and "bücher。de" both give "xn--bcher-kva.de".
    A trailing dot is dropped.
    """
    host = host.strip().rstrip(".")
    if not host:
        raise ValueError("empty host name")
    if host.isascii():
        host = host.lower()
        if "xn--" in host:
            try:
                idna.decode(host)
            except idna.IDNAError as exc:
                raise ValueError(f"invalid host name {host!r}: {exc}") from None
    else:
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"invalid host name {host!r}: {exc}") from None
    if len(host) > 253 or not _ASCII_HOST_RE.match(host) or any(len(label) > 63 for label in host.split(".")):
        raise ValueError(f"invalid host name {host!r}")
    return host


def strip_host_prefixes(host: str, registrable: str | None) -> str:
    """Drop leading "www.", "m." and "mobile." labels that lie below the registrable domain.

    "m.facebook.com" -> "facebook.com", "www.m.ebay.de" -> "ebay.de", but "m.me" stays.
    """
    if registrable is None:
        return host
    changed = True
    while changed and len(host) > len(registrable):
        changed = False
        for prefix in IGNORED_HOST_PREFIXES:
            if host.startswith(prefix) and len(host) - len(prefix) >= len(registrable):
                host = host[len(prefix) :]
                changed = True
                break
    return host


def normalise_domain(text: str) -> str:
    """A registrable domain as the catalogue stores it; ValueError if `text` is not one.

    Lower case, IDNA (punycode), no trailing dot, a leading "www." dropped:
    "WWW.Bücher.DE" -> "xn--bcher-kva.de". "shop.example.com" is refused (it is not
    registrable: "example.com" is).
    """
    host = idna_host(text)
    registrable = registrable_domain(host)
    if registrable is None:
        raise ValueError(f"{text!r} has no registrable domain (unknown or public suffix)")
    host = strip_host_prefixes(host, registrable)
    if host != registrable:
        raise ValueError(f"{text!r} is not a registrable domain (use {registrable!r})")
    return host


# --- Models ----------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ListingPattern(_Frozen):
    """How to find a listing id in a URL and rebuild the listing's canonical URL.

    `regex` is matched with `re.match` (anchored at the start, not at the end) against
    the normalised path, followed by "?" and the normalised, sorted query when there
    is one. Its named group `id` is the listing id. `template` is an https URL with
    `{id}`; it may also use `{host}` (the registrable domain the URL came from),
    `{hostname}` (the full host, without www./m./mobile.) and any other named group
    of the pattern.
    """

    regex: re.Pattern[str]
    template: str
    # Template fields other than host/hostname: named groups that must have matched.
    groups: tuple[str, ...] = ()


class Platform(_Frozen):
    """A platform (marketplace, social network, search engine) and its company."""

    id: str
    name: str
    company: str
    coalition_member: bool
    domains: tuple[str, ...] = ()
    listing_patterns: tuple[ListingPattern, ...] = ()
    canonical_template: str | None = None
    tracking_params: tuple[str, ...] = ()
    notes: str | None = None


class TrackingRules:
    """Which query parameters to drop: exact lower-case names and name prefixes."""

    __slots__ = ("exact", "prefixes")

    def __init__(self, names: Iterable[str]) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        for name in names:
            name = name.lower()
            if name.endswith("*"):
                prefixes.append(name[:-1])
            else:
                exact.add(name)
        self.exact = frozenset(exact)
        self.prefixes = tuple(sorted(set(prefixes)))

    def drops(self, name: str) -> bool:
        """True when a query parameter of this (decoded) name is tracking."""
        name = name.lower()
        return name in self.exact or (bool(self.prefixes) and name.startswith(self.prefixes))


class PlatformCatalogue(_Frozen):
    """Every platform of platforms.yaml, looked up by id or registrable domain.

    `extra_domains` holds the run-time mappings of `with_extra_domains` (domain ->
    platform id); they win over the domains of the file.
    """

    platforms: tuple[Platform, ...]
    global_tracking_params: tuple[str, ...] = ()
    extra_domains: dict[str, str] = {}
    source: str = ""

    _by_id: dict[str, Platform] = PrivateAttr(default_factory=dict)
    _by_domain: dict[str, Platform] = PrivateAttr(default_factory=dict)
    _tracking: dict[str | None, TrackingRules] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        by_id = {platform.id: platform for platform in self.platforms}
        by_domain: dict[str, Platform] = {}
        for platform in self.platforms:
            for domain in platform.domains:
                by_domain.setdefault(domain, platform)
        for domain, platform_id in self.extra_domains.items():
            by_domain[domain] = by_id[platform_id]
        self._by_id = by_id
        self._by_domain = by_domain
        self._tracking = {None: TrackingRules(self.global_tracking_params)}
        for platform in self.platforms:
            self._tracking[platform.id] = TrackingRules(
                (*self.global_tracking_params, *platform.tracking_params)
            )

    def __len__(self) -> int:
        return len(self.platforms)

    def get(self, platform_id: str) -> Platform | None:
        return self._by_id.get(platform_id)

    def by_domain(self, registrable_domain: str) -> Platform | None:
        """The platform a registrable domain (lower-case IDNA, e.g. "ebay.co.uk") belongs to."""
        return self._by_domain.get(registrable_domain)

    @property
    def domains(self) -> dict[str, str]:
        """Every known registrable domain and the id of its platform."""
        return {domain: platform.id for domain, platform in self._by_domain.items()}

    def tracking_rules(self, platform_id: str | None) -> TrackingRules:
        """The global tracking parameters plus those of the platform (if known)."""
        rules = self._tracking.get(platform_id)
        return rules if rules is not None else self._tracking[None]

    def with_extra_domains(self, mapping: Mapping[str, str | Platform]) -> PlatformCatalogue:
        """A new catalogue where these domains belong to these platforms (see the module doc).

        ValueError names the first domain that is not a registrable domain.
        """
        platforms = list(self.platforms)
        known = {platform.id for platform in platforms}
        extra = dict(self.extra_domains)
        for raw_domain, target in mapping.items():
            domain = normalise_domain(raw_domain)
            if isinstance(target, Platform):
                if target.id in known:
                    if self._by_id.get(target.id) != target:
                        platforms = [target if p.id == target.id else p for p in platforms]
                else:
                    platforms.append(target)
                    known.add(target.id)
                platform_id = target.id
            else:
                platform_id = str(target)
                if platform_id not in known:
                    platforms.append(bare_platform(platform_id))
                    known.add(platform_id)
            extra[domain] = platform_id
        return PlatformCatalogue(
            platforms=tuple(platforms),
            global_tracking_params=self.global_tracking_params,
            extra_domains=extra,
            source=self.source,
        )


def bare_platform(platform_id: str, name: str | None = None) -> Platform:
    """A platform known only by its id (registered at run time, not in the file)."""
    return Platform(
        id=platform_id, name=name or platform_id, company=name or platform_id, coalition_member=False
    )


# --- Loading ---------------------------------------------------------------------------

_TOP_LEVEL_KEYS = frozenset({"global_tracking_params", "platforms"})
_PLATFORM_KEYS = frozenset(
    {
        "id", "name", "company", "coalition_member", "domains", "listing_patterns",
        "canonical_template", "tracking_params", "notes",
    }
)  # fmt: skip


def _template_fields(template: str) -> set[str]:
    """Field names of a str.format template; ValueError for conversions, specs or indexing."""
    names: set[str] = set()
    for _literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise ValueError(f"placeholder {{{field}}} must be a plain name")
        names.add(field)
    return names


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f"{what} must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


def _tracking_list(value: Any, what: str) -> tuple[str, ...]:
    names = _string_list(value, what)
    for name in names:
        if not TRACKING_PARAM_RE.match(name):
            raise ValueError(f"{what}: {name!r} may only end with '*' (a prefix), and contain no spaces")
    return tuple(name.lower() for name in names)


def _compile_pattern(raw: Any, default_template: str | None, index: int) -> ListingPattern:
    where = f"listing_patterns[{index}]"
    if isinstance(raw, str):
        source, template = raw, default_template
        if template is None:
            raise ValueError(f"{where}: there is no canonical_template to rebuild the listing URL with")
    elif isinstance(raw, dict):
        unknown = set(raw) - {"pattern", "template"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        source = raw.get("pattern")
        template = raw.get("template", default_template)
        if not isinstance(source, str):
            raise ValueError(f"{where}: 'pattern' must be a string")
        if template is None:
            raise ValueError(f"{where}: no 'template' and no canonical_template")
    else:
        raise ValueError(f"{where}: must be a regex string or a mapping with 'pattern' and 'template'")
    try:
        regex = re.compile(source)
    except re.error as exc:
        raise ValueError(f"{where}: pattern {source!r} does not compile: {exc}") from None
    if "id" not in regex.groupindex:
        raise ValueError(f"{where}: pattern {source!r} has no named group 'id' (write (?P<id>...))")
    if not isinstance(template, str):
        raise ValueError(f"{where}: the template must be a string")
    fields = _check_template(template, f"{where}: template")
    unknown_fields = fields - TEMPLATE_FIELDS - set(regex.groupindex)
    if unknown_fields:
        raise ValueError(
            f"{where}: template {template!r} uses {', '.join(sorted(unknown_fields))}, "
            f"which is neither host, hostname, id nor a named group of {source!r}"
        )
    groups = tuple(sorted(fields - {"host", "hostname"}))
    return ListingPattern(regex=regex, template=template, groups=groups)


def _check_template(template: str, what: str) -> set[str]:
    if not template.startswith("https://"):
        raise ValueError(f"{what} {template!r} must start with https://")
    try:
        fields = _template_fields(template)
    except ValueError as exc:
        raise ValueError(f"{what} {template!r}: {exc}") from None
    if "id" not in fields:
        raise ValueError(f"{what} {template!r} has no {{id}}")
    return fields


def _build_platform(raw: Any) -> Platform:
    if not isinstance(raw, dict):
        raise ValueError("each platform must be a mapping")
    unknown = set(raw) - _PLATFORM_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    for key in ("id", "name", "company"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"'{key}' is missing or empty")
    if not PLATFORM_ID_RE.match(raw["id"]):
        raise ValueError("the id must be lower-case letters, digits and single hyphens (e.g. 'ebay')")
    if not isinstance(raw.get("coalition_member"), bool):
        raise ValueError("'coalition_member' must be true or false")
    domains: list[str] = []
    for domain in _string_list(raw.get("domains"), "domains"):
        try:
            normalised = normalise_domain(domain)
        except ValueError as exc:
            raise ValueError(f"domain {exc}") from None
        if normalised in domains:
            raise ValueError(f"domain {normalised!r} is listed twice")
        domains.append(normalised)
    template = raw.get("canonical_template")
    if template is not None:
        if not isinstance(template, str):
            raise ValueError("'canonical_template' must be a string")
        _check_template(template, "canonical_template")
    raw_patterns = raw.get("listing_patterns") or []
    if not isinstance(raw_patterns, list):
        raise ValueError("'listing_patterns' must be a list")
    patterns = tuple(_compile_pattern(item, template, index) for index, item in enumerate(raw_patterns))
    if template is not None:
        # The default template may only use names every pattern that relies on it defines.
        for index, item in enumerate(raw_patterns):
            if isinstance(item, str):
                missing = _template_fields(template) - TEMPLATE_FIELDS - set(patterns[index].regex.groupindex)
                if missing:
                    raise ValueError(f"listing_patterns[{index}] lacks group(s) {', '.join(sorted(missing))}")
    notes = raw.get("notes")
    if notes is not None and not isinstance(notes, str):
        raise ValueError("'notes' must be text")
    try:
        return Platform(
            id=raw["id"],
            name=raw["name"].strip(),
            company=raw["company"].strip(),
            coalition_member=raw["coalition_member"],
            domains=tuple(domains),
            listing_patterns=patterns,
            canonical_template=template,
            tracking_params=_tracking_list(raw.get("tracking_params"), "tracking_params"),
            notes=notes.strip() if notes else None,
        )
    except ValidationError as exc:  # pragma: no cover - the checks above come first
        raise ValueError(str(exc)) from None


def load_platforms(path: Path) -> PlatformCatalogue:
    """Read and validate platforms.yaml.

    ContentError names the file, the line and platform id where known, and the
    problem: a duplicate id, a domain claimed by two platforms, a pattern that does not
    compile or lacks the `id` group, a template without `{id}`, an unknown key...
    """
    path = Path(path)
    file = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(file, "the file is missing") from None
    data = load_yaml(text, file)  # ContentError with the line for bad YAML and repeated keys
    if not isinstance(data, dict):
        raise ContentError(file, "the file must be a mapping with 'global_tracking_params' and 'platforms'")
    unknown = set(data) - _TOP_LEVEL_KEYS - {LINE_KEY}
    if unknown:
        raise ContentError(file, f"unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    try:
        global_tracking = _tracking_list(data.get("global_tracking_params"), "global_tracking_params")
    except ValueError as exc:
        raise ContentError(file, str(exc)) from None
    raw_platforms = data.get("platforms")
    if not isinstance(raw_platforms, list) or not raw_platforms:
        raise ContentError(file, "'platforms' must be a non-empty list")

    platforms: list[Platform] = []
    ids: dict[str, int | None] = {}
    owners: dict[str, str] = {}
    for index, raw in enumerate(raw_platforms):
        line = line_of(raw)
        raw = strip_lines(raw)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        item = f"platform {raw_id!r}" if isinstance(raw_id, str) and raw_id else f"platform #{index + 1}"
        try:
            platform = _build_platform(raw)
        except ValueError as exc:
            raise ContentError(file, str(exc), line=line, item=item) from None
        if platform.id in ids:
            where = f" (first on line {ids[platform.id]})" if ids[platform.id] else ""
            raise ContentError(file, f"duplicate id{where}", line=line, item=item)
        ids[platform.id] = line
        for domain in platform.domains:
            if domain in owners:
                raise ContentError(
                    file,
                    f"domain {domain!r} is already claimed by platform {owners[domain]!r}",
                    line=line,
                    item=item,
                )
            owners[domain] = platform.id
        platforms.append(platform)
    return PlatformCatalogue(
        platforms=tuple(platforms), global_tracking_params=global_tracking, source=str(path)
    )
