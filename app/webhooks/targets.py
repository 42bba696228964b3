"""Which webhook targets we refuse, and why: URL syntax, host spellings, resolved addresses.

A webhook URL is typed by a company admin, so it is untrusted: without care it would
let anyone make our servers call our own database, the cloud metadata service or a
machine on the private network, and show them the answer in the attempt log. So:

* the URL is parsed the way resolvers parse host names (``2130706433``, ``0177.0.0.1``,
  ``0x7f.1``, ``127.1`` and full-width digits all mean 127.0.0.1), and only ``https``
  without user info is accepted (``http`` only when a setting allows it);
* every address the name resolves to must be public, IPv4 forms hidden in IPv6
  addresses included (see ``classify_address``).

The transport that connects to a checked address is ``app.webhooks.net``;
``docs/ssrf.md`` explains the choices.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Literal
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
import idna

from app.i18n import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# A resolver takes (host, port) and returns the addresses the host resolves to, as text
# or ipaddress objects. The default wraps socket.getaddrinfo; tests pass a dictionary lookup.
Resolver = Callable[[str, int], Iterable[str | IPAddress]]

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}
# Reasons that CYBERSPOTTER_WEBHOOK_ALLOW_PRIVATE_TARGETS waives (local development).
PRIVATE_REASONS = frozenset({"loopback", "private"})


class UnsafeTargetError(ValueError):
    """A webhook target we refuse to call.

    ``reason`` is a short machine code (``"private"``, ``"scheme"``...) for logs and tests;
    ``str(error)`` is a sentence for the admin who typed the URL.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedTarget:
    """A webhook URL that passed the syntax checks, with its host normalised."""

    scheme: Literal["https", "http"]
    # ASCII (IDNA) host name in lower case, or an IP address in its canonical form.
    host: str
    port: int
    # Path and query as typed ("/" when empty); the fragment is dropped.
    path: str
    # Set when the host is an IP address literal (in any spelling), else None.
    ip: IPAddress | None = None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The normalised URL (IDNA host, canonical IP, explicit path)."""
        return f"{self.scheme}://{self.host_header}{self.path}"


# --- Addresses ---------------------------------------------------------------------

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order, so specific entries come before the ranges that contain them.
_IPV4_RULES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("169.254.169.254/32"), "metadata"),  # AWS, GCP, Azure, OpenStack...
    (_V4("0.0.0.0/8"), "unspecified"),  # "this network"; 0.0.0.0 reaches localhost on Linux
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("169.254.0.0/16"), "link_local"),
    (_V4("100.64.0.0/10"), "cgnat"),  # includes Alibaba's metadata at 100.100.100.200
    (_V4("192.0.0.0/24"), "special"),  # IETF protocol assignments (Oracle metadata: 192.0.0.192)
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("198.18.0.0/15"), "benchmark"),
    (_V4("192.88.99.0/24"), "reserved"),  # deprecated 6to4 relay anycast
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_IPV6_RULES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("fd00:ec2::254/128"), "metadata"),  # AWS metadata over IPv6 (inside fc00::/7)
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("fe80::/10"), "link_local"),
    (_V6("fec0::/10"), "site_local"),
    (_V6("fc00::/7"), "private"),  # unique-local
    (_V6("ff00::/8"), "multicast"),
    (_V6("2001::/32"), "teredo"),
    (_V6("2001:2::/48"), "benchmark"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments (ORCHID, AS112...)
    (_V6("100::/64"), "reserved"),  # discard-only
)

_IPV4_MAPPED = _V6("::ffff:0:0/96")
_IPV4_COMPATIBLE = _V6("::/96")
_NAT64 = (_V6("64:ff9b::/96"), _V6("64:ff9b:1::/48"))
_SIXTOFOUR = _V6("2002::/16")
_GLOBAL_UNICAST = _V6("2000::/3")


@lru_cache(maxsize=4096)
def classify_address(ip: IPAddress) -> tuple[str, ipaddress.IPv4Address | None] | None:
    """Why an address is not a public target, or None when it is.

    Returns ``(reason, embedded)``, where ``embedded`` is the IPv4 address hidden in an
    IPv6 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) when that is what decided.
    The answer depends on the address alone: each is classified once (every send checks
    its endpoint's addresses again).
    """
    if isinstance(ip, ipaddress.IPv4Address):
        for network, reason in _IPV4_RULES:
            if ip in network:
                return reason, None
        # Belt and braces: anything Python knows to be non-global that the table misses.
        return None if ip.is_global else ("reserved", None)

    ip = ipaddress.IPv6Address(ip.packed)  # drop any %scope
    if ip in _IPV4_MAPPED or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        # ::ffff:a.b.c.d and ::a.b.c.d. No resolver returns these for a public host; a DNS
        # record holding one is an attempt to dress up an IPv4 address, so even a public
        # one is refused. A non-public one reports the IPv4 reason (so that the private
        # and loopback forms behave like their IPv4 selves under allow_private).
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        inner = classify_address(embedded)
        if inner is not None:
            return inner[0], embedded
        return ("ipv4_mapped" if ip in _IPV4_MAPPED else "ipv4_compatible"), embedded
    if any(ip in prefix for prefix in _NAT64):
        # NAT64 (RFC 6052 /96 layout: the IPv4 address is the last 32 bits). Public IPv4
        # hosts legitimately look like this on IPv6-only networks with DNS64.
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        inner = classify_address(embedded)
        return (inner[0], embedded) if inner is not None else None
    if ip in _SIXTOFOUR:
        embedded = ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
        inner = classify_address(embedded)
        return (inner[0], embedded) if inner is not None else None
    for network, reason in _IPV6_RULES:
        if ip in network:
            return reason, None
    if ip not in _GLOBAL_UNICAST or not ip.is_global:
        return "reserved", None
    return None


def _reason_label(reason: str) -> str:
    labels = {
        "metadata": _("a cloud metadata service"),
        "unspecified": _("an unspecified address"),
        "loopback": _("a loopback address (this machine)"),
        "private": _("a private network address"),
        "link_local": _("a link-local address"),
        "site_local": _("a site-local address"),
        "cgnat": _("a carrier-grade NAT address"),
        "special": _("an address reserved for protocol use"),
        "documentation": _("an address reserved for documentation"),
        "benchmark": _("an address reserved for benchmarks"),
        "multicast": _("a multicast address"),
        "broadcast": _("the broadcast address"),
        "reserved": _("a reserved address"),
        "teredo": _("a Teredo tunnel address"),
        "ipv4_mapped": _("an IPv4 address written as IPv6"),
        "ipv4_compatible": _("an IPv4 address written as IPv6"),
    }
    return labels.get(reason, _("not a public address"))


def check_address(ip: IPAddress, *, allow_private: bool, host: str | None = None) -> None:
    """Raise UnsafeTargetError unless ``ip`` is a target we may call.

    With ``allow_private`` loopback and private addresses (and their IPv6 forms) pass;
    link-local, metadata and the rest never do.
    """
    verdict = classify_address(ip)
    if verdict is None:
        return
    reason, embedded = verdict
    if allow_private and reason in PRIVATE_REASONS:
        return
    label = _reason_label(reason)
    address = str(ipaddress.IPv6Address(ip.packed)) if ip.version == 6 else str(ip)
    if embedded is not None:
        message = _(
            "The address %(address)s (which stands for %(embedded)s) is %(label)s; webhooks go "
            "to public addresses only.",
            address=address,
            embedded=str(embedded),
            label=label,
        )
    else:
        message = _(
            "The address %(address)s is %(label)s; webhooks go to public addresses only.",
            address=address,
            label=label,
        )
    if host is not None and host != address:
        message = _(
            "The name %(host)s resolves to an address we refuse. %(detail)s", host=host, detail=message
        )
    raise UnsafeTargetError(reason, message)


# --- URLs and host names -----------------------------------------------------------

# Characters no valid URL contains raw. A backslash is refused because browsers and
# WHATWG parsers read it as "/" while urllib does not: two parsers, two hosts.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_DEC = frozenset("0123456789")
_OCT = frozenset("01234567")
_HEX = frozenset("0123456789abcdef")


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address as inet_aton and WHATWG read it: 0x.. hex, 0.. octal."""
    if part[:2] in ("0x", "0X"):
        digits, base, allowed = part[2:].lower(), 16, _HEX
    elif len(part) > 1 and part[0] == "0":
        digits, base, allowed = part[1:], 8, _OCT
    else:
        digits, base, allowed = part, 10, _DEC
    if digits == "":
        return 0 if base != 10 else None  # "0x" is zero; "" is not a number
    if not set(digits) <= allowed:  # also keeps int() away from "_" and non-ASCII digits
        return None
    return int(digits, base)


def _ends_in_number(parts: list[str]) -> bool:
    last = parts[-1]
    if last and set(last) <= _DEC:
        return True
    return last[:2] in ("0x", "0X") and set(last[2:].lower()) <= _HEX


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a resolver would see in ``host``; None if it is a name.

    Raises ValueError for strings that look numeric but are no valid address
    ("1.2.3.4.5", "256.0.0.1", "example.123"): resolvers differ on those.
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot: "127.0.0.1."
    if not _ends_in_number(parts):
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise ValueError(host)
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(host)
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value << (8 * (3 - index))
    return ipaddress.IPv4Address(address)


def _bad_host(host: str) -> UnsafeTargetError:
    return UnsafeTargetError("host", _("The host name %(host)s is not valid.", host=host))


def normalize_host(host: str) -> tuple[str, IPAddress | None]:
    """``(ascii_host, ip)`` for a host as written in a URL (IPv6 in brackets or not).

    Raises UnsafeTargetError("host") when it is no valid host name or address.
    """
    if not host:
        raise UnsafeTargetError("no_host", _("The address has no host name."))
    if "%" in host:
        # Percent-encoded host names and IPv6 zone ids: both mean different things to
        # different parsers, and no public webhook needs them.
        raise _bad_host(host)
    if host.startswith("[") or ":" in host:
        literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        try:
            ip6 = ipaddress.IPv6Address(literal)
        except ValueError:
            raise _bad_host(host) from None
        return str(ip6), ip6
    if host.isascii():
        mapped = host.lower()
    else:
        try:
            # UTS 46 maps full-width digits and ideographic full stops, as resolvers and
            # browsers do, so "１２７。０。０。１" is checked as 127.0.0.1.
            mapped = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise _bad_host(host) from None
    try:
        ip4 = _parse_ipv4(mapped)
    except ValueError:
        raise _bad_host(host) from None
    if ip4 is not None:
        return str(ip4), ip4
    name = mapped[:-1] if mapped.endswith(".") else mapped
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _bad_host(host)
    if any(label.startswith("xn--") for label in labels):
        try:  # check the punycode decodes to a valid name
            idna.decode(name)
        except (idna.IDNAError, UnicodeError):
            raise _bad_host(host) from None
    return name, None


def check_url(url: str, *, allow_private: bool, allow_http: bool) -> ParsedTarget:
    """Parse a webhook URL and refuse what no webhook target needs (syntax only).

    ``http`` is accepted only when ``allow_http`` or ``allow_private`` is set. The
    addresses are checked by ``resolve_and_check``; ``validate_target`` does both.
    """
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise UnsafeTargetError("syntax", _("The address is too long."))
    if _FORBIDDEN.search(url):
        raise UnsafeTargetError(
            "syntax", _("The address contains spaces, control characters or backslashes.")
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeTargetError("syntax", _("The address is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeTargetError(
            "scheme", _("Webhook addresses start with https:// (not %(scheme)s).", scheme=scheme or "?")
        )
    if scheme == "http" and not (allow_http or allow_private):
        raise UnsafeTargetError(
            "http_not_allowed", _("Webhook addresses must use https://, which encrypts the referral.")
        )
    netloc = parts.netloc
    if "@" in netloc:
        raise UnsafeTargetError(
            "userinfo", _("The address may not contain a user name or password (before an @).")
        )
    if netloc.startswith("["):
        close = netloc.find("]")
        if close == -1:
            raise _bad_host(netloc)
        raw_host, rest = netloc[: close + 1], netloc[close + 1 :]
        if rest and not rest.startswith(":"):
            raise _bad_host(netloc)
        raw_port = rest[1:] if rest else None
    else:
        raw_host, colon, raw_port_text = netloc.partition(":")
        raw_port = raw_port_text if colon else None
    if not raw_host:
        raise UnsafeTargetError("no_host", _("The address has no host name."))
    if raw_port is None:
        port = DEFAULT_PORTS[scheme]
    elif raw_port.isascii() and raw_port.isdigit() and 1 <= int(raw_port) <= 65535:
        port = int(raw_port)
    else:
        raise UnsafeTargetError(
            "port", _("The port %(port)s is not a number from 1 to 65535.", port=raw_port or "''")
        )
    host, ip = normalize_host(raw_host)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # A request line is ASCII: other characters go as their UTF-8 bytes, percent-encoded.
    path = _NOT_ASCII.sub(lambda found: quote(found.group()), path)
    return ParsedTarget(scheme=scheme, host=host, port=port, path=path, ip=ip)  # type: ignore[arg-type]


# --- Resolution --------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the system's preferred order (blocking)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_and_check(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses if every one of them is allowed (blocking).

    One non-public address is enough to refuse: a name answering both a public and a
    private address would let the second one through on a later connection. An IP
    literal (in any spelling) is checked without asking the resolver.
    """
    name, literal = normalize_host(host)
    if literal is not None:
        check_address(literal, allow_private=allow_private)
        return [literal]
    try:
        answers = list((resolver or system_resolver)(name, port))
    except (OSError, UnicodeError) as exc:
        raise UnsafeTargetError(
            "unresolvable", _("The name %(host)s could not be resolved (%(error)s).", host=name, error=exc)
        ) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        text = str(answer).split("%", 1)[0]  # getaddrinfo adds %scope to link-local IPv6
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeTargetError(
                "unresolvable", _("The name %(host)s resolved to something that is no address.", host=name)
            ) from None
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeTargetError("unresolvable", _("The name %(host)s has no address.", host=name))
    for ip in addresses:
        check_address(ip, allow_private=allow_private, host=name)
    return addresses


async def resolve_in_thread(
    target: ParsedTarget, *, allow_private: bool, resolver: Resolver | None
) -> list[IPAddress]:
    if target.ip is not None:
        check_address(target.ip, allow_private=allow_private)
        return [target.ip]
    # abandon_on_cancel: a hung resolver must not hold the caller past its deadline.
    return await anyio.to_thread.run_sync(
        partial(resolve_and_check, target.host, target.port, allow_private=allow_private, resolver=resolver),
        abandon_on_cancel=True,
    )


async def validate_target(
    url: str,
    *,
    allow_private: bool,
    allow_http: bool = False,
    resolver: Resolver | None = None,
    timeout: float = 10.0,
) -> ParsedTarget:
    """The full check for an admin saving a webhook URL: syntax, then every address.

    Raises UnsafeTargetError, whose message the caller shows with a 422. A name that
    does not resolve is refused too (reason ``"unresolvable"``): it is most likely a typo.
    """
    target = check_url(url, allow_private=allow_private, allow_http=allow_http)
    with anyio.move_on_after(timeout) as scope:
        await resolve_in_thread(target, allow_private=allow_private, resolver=resolver)
    if scope.cancelled_caught:
        raise UnsafeTargetError(
            "unresolvable", _("The name %(host)s could not be resolved in time.", host=target.host)
        )
    return target
