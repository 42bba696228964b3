"""Listing URLs: find one in shared text, check it, and reduce it to one canonical form.

Several volunteers who report one listing must meet on one listing, whatever app,
country site or share button each used. `canonicalize` turns a URL into the form
listings are keyed on:

* only http and https; scheme-less input gets https:// when it starts with a domain;
  at most 2048 characters; a host is required; user:password@ is refused;
* scheme https (http and https of one page meet), host in lower-case IDNA (punycode),
  a leading www./m./mobile. dropped, default ports (80, 443) dropped, no fragment;
* tracking parameters dropped (the catalogue's global list plus the platform's), the
  rest of the query sorted by name (repeated names keep their order), an empty query
  removed; percent-encoding normalised (upper-case hex, unreserved characters decoded,
  other characters encoded as UTF-8), dot segments resolved, trailing slashes removed
  except for the root;
* when a pattern of the platform finds the listing id, the URL is rebuilt from the
  platform's template, so "https://www.ebay.co.uk/itm/Carved-figurine/1234567890?hash=x"
  and "http://ebay.co.uk/itm/1234567890" are the same listing.

Unknown platforms are allowed (platform_id None); IP-address hosts are allowed when
the address is a public one, and never have a platform. Pure functions: no database,
no web framework, no network (the public suffix list is the one bundled with
tldextract). A URL takes a few tens of microseconds; the catalogue's patterns are
compiled once, when it is loaded.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import unquote, unquote_plus, urlsplit

from pydantic import BaseModel, ConfigDict

from app.content.platforms import (
    Platform,
    PlatformCatalogue,
    TrackingRules,
    bare_platform,
    idna_host,
    registrable_domain,
    strip_host_prefixes,
)
from app.i18n import gettext as _

MAX_URL_LENGTH = 2048
CANONICAL_SCHEME = "https"
ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = frozenset({80, 443})

# Machine-readable reasons a URL is refused (InvalidListingURL.code).
ERROR_CODES = ("empty", "too_long", "malformed", "scheme", "no_host", "credentials", "host")


class InvalidListingURL(ValueError):
    """A URL that cannot be a listing. `code` is one of ERROR_CODES; str() is for people.

    The message is translated into the current request's language when raised.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CanonicalURL(BaseModel):
    """The canonical form of a listing URL and what was recognised in it."""

    model_config = ConfigDict(frozen=True)

    canonical_url: str
    # The input as given, without surrounding whitespace.
    original_url: str
    # Lower-case IDNA host without www./m./mobile. (an IP address as written in URLs: [v6]).
    host: str
    # "ebay.co.uk" for "www.ebay.co.uk"; for an IP-address host, the address itself.
    registrable_domain: str
    platform_id: str | None = None
    platform_name: str | None = None
    listing_id: str | None = None


# --- Character classes ---------------------------------------------------------------

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = _UNRESERVED | frozenset(_SUB_DELIMS + ":@/")
# In the query, "&" separates pairs and the first "=" ends the name: both stay encoded
# inside names and values ("=" is left as is inside a value).
_QUERY_KEY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")
_QUERY_VALUE_SAFE = _QUERY_KEY_SAFE | frozenset("=")


def _plain_re(safe: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(sorted(safe))) + "]*")


_PATH_PLAIN = _plain_re(_PATH_SAFE)
_KEY_PLAIN = _plain_re(_QUERY_KEY_SAFE)
_VALUE_PLAIN = _plain_re(_QUERY_VALUE_SAFE)
_HEX = frozenset("0123456789abcdefABCDEF")

# Whitespace, control characters and backslashes never occur in a URL someone copied;
# invisible formatting characters (zero-width, bidirectional overrides) only disguise one.
_FORBIDDEN_RE = re.compile(r"[\s\x00-\x1f\x7f\\\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Copying from apps sometimes brings a zero-width space or byte-order mark along.
_INVISIBLE_EDGES = "\u200b\u200c\u200d\u2060\ufeff"
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# "ebay.com:8080/x" is a host and a port, not the scheme "ebay.com".
_HOST_PORT_RE = re.compile(r"^[^/?#:@]*\.[^/?#:@]*:\d*(?:[/?#]|$)")
_IPV4_LIKE_RE = re.compile(r"^[0-9.]+$")
_JSESSIONID_RE = re.compile(r";jsessionid=[^/]*", re.IGNORECASE)


def _normalise_component(text: str, safe: frozenset[str], plain: re.Pattern[str]) -> str:
    """Upper-case percent-escapes, decode unreserved ones, encode what is not allowed."""
    if plain.fullmatch(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                decoded = chr(int(text[i + 1 : i + 3], 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.append("".join(f"%{byte:02X}" for byte in ch.encode("utf-8")))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out)


def _normalise_path(path: str) -> str:
    if not path:
        return "/"
    if ";" in path:
        path = _JSESSIONID_RE.sub("", path)
    path = _remove_dot_segments(_normalise_component(path, _PATH_SAFE, _PATH_PLAIN))
    if not path.startswith("/"):
        path = "/" + path
    stripped = path.rstrip("/")
    return stripped or "/"


def _normalise_query(query: str, drops: Callable[[str], bool]) -> str:
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = _normalise_component(name, _QUERY_KEY_SAFE, _KEY_PLAIN)
        if not name and not value:
            continue
        if drops(unquote_plus(name)):
            continue
        rest = sep + _normalise_component(value, _QUERY_VALUE_SAFE, _VALUE_PLAIN) if sep else ""
        pairs.append((name, rest))
    pairs.sort(key=lambda pair: pair[0])  # stable: repeated names keep their order
    return "&".join(name + rest for name, rest in pairs)


# --- Refusals ------------------------------------------------------------------------


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refuse(code: str, **values: object) -> InvalidListingURL:
    if code == "empty":
        message = _("Paste the address (URL) of the listing.")
    elif code == "too_long":
        message = _("This address is too long: a listing address has at most %(max)s characters.", **values)
    elif code == "scheme":
        message = _(
            "Only web addresses that start with http:// or https:// can be reported; "
            "this one starts with “%(scheme)s:”.",
            **values,
        )
    elif code == "no_host":
        message = _("This address has no website name in it. Copy the whole address of the listing.")
    elif code == "credentials":
        message = _(
            "This address contains a user name or password. Remove that part (and never share "
            "your passwords), then try again."
        )
    elif code == "host":
        message = _("“%(host)s” is not the name of a public website.", **values)
    else:
        message = _(
            "This does not look like a web address. Copy the address of the listing from your "
            "browser or app and paste it here."
        )
    return InvalidListingURL(code, message)


# --- Hosts ---------------------------------------------------------------------------


def _split_netloc(netloc: str) -> tuple[str, int | None]:
    """(host, port) of a netloc without user info; InvalidListingURL when malformed."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise _refuse("malformed")
        host, rest = netloc[1:end], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _refuse("malformed")
        port_text = rest[1:]
        host = "[" + host + "]"
    else:
        host, _sep, port_text = netloc.partition(":")
        if ":" in port_text:
            raise _refuse("malformed")
    if not port_text:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise _refuse("malformed")
    return host, int(port_text)


def _public_ip(text: str, raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _refuse("host", host=_shorten(raw)) from None
    if not address.is_global:
        raise _refuse("host", host=_shorten(raw))
    return address


def _normalise_host(raw_host: str) -> tuple[str, str, bool]:
    """(host for the URL, registrable domain, is an IP address)."""
    host = raw_host
    if "%" in host and not host.startswith("["):
        try:
            host = unquote(host, errors="strict")
        except UnicodeDecodeError:
            raise _refuse("host", host=_shorten(raw_host)) from None
    if host.startswith("["):
        address = _public_ip(host[1:-1], raw_host)
        if address.version != 6:
            raise _refuse("host", host=_shorten(raw_host))
        return f"[{address.compressed}]", address.compressed, True
    host = host.rstrip(".")
    if _IPV4_LIKE_RE.match(host):
        address = _public_ip(host, raw_host)
        return address.compressed, address.compressed, True
    try:
        host = idna_host(host)
    except ValueError:
        raise _refuse("host", host=_shorten(raw_host)) from None
    registrable = registrable_domain(host)
    if registrable is None:
        raise _refuse("host", host=_shorten(raw_host))
    return strip_host_prefixes(host, registrable), registrable, False


def _looks_like_domain(text: str) -> bool:
    """True when scheme-less input starts with a host name worth prepending https:// to."""
    head = re.split(r"[/?#]", text, maxsplit=1)[0]
    head = head.rpartition("@")[2]
    if head.startswith("["):
        return True
    head = head.partition(":")[0].rstrip(".")
    if "." not in head:
        return False
    if _IPV4_LIKE_RE.match(head):
        return True
    try:
        return registrable_domain(idna_host(head)) is not None
    except ValueError:
        return False


# --- Public functions ----------------------------------------------------------------


def _resolve_platform(
    catalogue: PlatformCatalogue, domain: str, extra_domains: Mapping[str, str | Platform] | None
) -> Platform | None:
    if extra_domains:
        target = extra_domains.get(domain)
        if target is not None:
            if isinstance(target, Platform):
                return target
            return catalogue.get(target) or bare_platform(target)
    return catalogue.by_domain(domain)


def _tracking_rules(catalogue: PlatformCatalogue, platform: Platform | None) -> TrackingRules:
    if platform is None or catalogue.get(platform.id) is platform:
        return catalogue.tracking_rules(platform.id if platform else None)
    # A platform from outside the catalogue (extra_domains) brings its own list.
    return TrackingRules((*catalogue.global_tracking_params, *platform.tracking_params))


def canonicalize(
    url: str,
    catalogue: PlatformCatalogue,
    *,
    extra_domains: Mapping[str, str | Platform] | None = None,
) -> CanonicalURL:
    """The canonical form of a listing URL, its platform and listing id (see the module doc).

    `extra_domains` maps registrable domains (already normalised: lower case, IDNA,
    see `app.content.platforms.normalise_domain`) to platform ids or `Platform`s; it
    wins over the catalogue. An id the catalogue does not know is reported as is,
    with the id as its name. Raises InvalidListingURL.
    """
    text = (url or "").strip().strip(_INVISIBLE_EDGES).strip()
    if not text:
        raise _refuse("empty")
    if len(text) > MAX_URL_LENGTH:
        raise _refuse("too_long", max=MAX_URL_LENGTH)
    if _FORBIDDEN_RE.search(text):
        raise _refuse("malformed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("malformed") from None

    match = _SCHEME_RE.match(text)
    if match and not _HOST_PORT_RE.match(text):
        scheme = match.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            raise _refuse("scheme", scheme=_shorten(match.group(1), 20))
        full = text
    elif text.startswith("//"):
        full = "https:" + text
    elif _looks_like_domain(text):
        full = "https://" + text
    else:
        raise _refuse("malformed")

    try:
        parts = urlsplit(full)
    except ValueError:
        raise _refuse("malformed") from None
    netloc = parts.netloc
    if "@" in netloc:
        raise _refuse("credentials")
    if not netloc:
        raise _refuse("no_host")
    raw_host, port = _split_netloc(netloc)
    if not raw_host or raw_host == "[]":
        raise _refuse("no_host")
    host, domain, is_ip = _normalise_host(raw_host)

    platform = None if is_ip else _resolve_platform(catalogue, domain, extra_domains)
    rules = _tracking_rules(catalogue, platform)
    path = _normalise_path(parts.path)
    query = _normalise_query(parts.query, rules.drops)

    canonical = None
    listing_id = None
    if platform is not None and platform.listing_patterns:
        subject = path + "?" + query if query else path
        for pattern in platform.listing_patterns:
            found = pattern.regex.match(subject)
            if found is None:
                continue
            values = {name: found.group(name) for name in pattern.groups}
            if any(value is None for value in values.values()):
                continue
            canonical = pattern.template.format(host=domain, hostname=host, **values)
            listing_id = values["id"]
            break
    if canonical is None:
        port_part = f":{port}" if port is not None and port not in DEFAULT_PORTS else ""
        canonical = f"{CANONICAL_SCHEME}://{host}{port_part}{path}" + (f"?{query}" if query else "")
    if len(canonical) > MAX_URL_LENGTH:
        raise _refuse("too_long", max=MAX_URL_LENGTH)
    return CanonicalURL(
        canonical_url=canonical,
        original_url=text,
        host=host,
        registrable_domain=domain,
        platform_id=platform.id if platform else None,
        platform_name=platform.name if platform else None,
        listing_id=listing_id,
    )


def recognise_platform(
    text: str,
    catalogue: PlatformCatalogue,
    *,
    extra_domains: Mapping[str, str | Platform] | None = None,
) -> tuple[str, str] | None:
    """(platform_id, platform_name) of a URL, or of the first URL in shared text; else None.

    Never raises: meant for showing the platform while the volunteer is still typing.
    """
    for candidate in (text, extract_url(text or "")):
        if not candidate:
            continue
        try:
            result = canonicalize(candidate, catalogue, extra_domains=extra_domains)
        except InvalidListingURL:
            continue
        if result.platform_id is not None:
            return result.platform_id, result.platform_name or result.platform_id
        return None
    return None


_URL_START_RE = re.compile(r"https?://", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'\"*~"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def _ends_url(ch: str) -> bool:
    if ch.isspace() or ch in '<>"`' or ord(ch) < 0x20 or ch == "\x7f":
        return True
    # Punctuation and separators outside ASCII ("」", "，", "。", "…") end a URL in text;
    # letters do not, so international hosts and paths survive.
    return not ch.isascii() and unicodedata.category(ch)[0] in "PZC"


def _dangling(candidate: str) -> bool:
    """True when the last character is punctuation of the sentence, not of the URL."""
    last = candidate[-1]
    if last in _TRAILING_PUNCTUATION:
        return True
    opener = _CLOSERS.get(last)
    return opener is not None and candidate.count(last) > candidate.count(opener)


def extract_url(text: str) -> str | None:
    """The first http(s) URL in shared text, without trailing punctuation; else None.

    "Look at this! https://www.ebay.com/itm/12345?_trksid=p1 via eBay app" gives
    "https://www.ebay.com/itm/12345?_trksid=p1". A closing bracket is kept only when
    the URL opened it ("https://en.wikipedia.org/wiki/Pangolin_(disambiguation)").
    """
    if not text:
        return None
    for start in _URL_START_RE.finditer(text):
        end = start.end()
        while end < len(text) and not _ends_url(text[end]):
            end += 1
        candidate = text[start.start() : end]
        while candidate and _dangling(candidate):
            candidate = candidate[:-1]
        if len(candidate) > start.end() - start.start():
            return candidate
    return None
