"""The SSRF-safe webhook transport: what it refuses, and how it behaves on real sockets.

Name resolution is faked everywhere (no test needs the network); the socket tests run
tiny asyncio servers on 127.0.0.1 with allow_private=True.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import gzip
import ipaddress
import socket
import ssl
import struct
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.webhooks import net
from app.webhooks.net import UnsafeTargetError

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeDNS:
    """A resolver answering from a table and remembering what it was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


def dns() -> FakeDNS:
    return FakeDNS(
        {
            "hooks.example.com": [PUBLIC_V4, PUBLIC_V6],
            "xn--bcher-kva.example": [PUBLIC_V4],
            "internal.example": ["10.1.2.3"],
            "mixed.example": [PUBLIC_V4, "10.0.0.1"],
            "mixed6.example": [PUBLIC_V6, "fd12:3456::1"],
            "metadata.example": ["169.254.169.254"],
            "rebind.example": [PUBLIC_V4, "127.0.0.1"],
            "linklocal6.example": ["fe80::1%2"],
            "localhost": ["127.0.0.1", "::1"],
            "receiver.test": ["127.0.0.1"],
            "empty.example": [],
        }
    )


def check(url: str, *, allow_private: bool = False, allow_http: bool = False, resolver=None) -> list:
    target = net.check_url(url, allow_private=allow_private, allow_http=allow_http)
    return net.resolve_and_check(
        target.host, target.port, allow_private=allow_private, resolver=resolver or dns()
    )


# --- Which addresses are refused ------------------------------------------------------

REFUSED = [
    # Loopback, in every spelling a resolver accepts.
    ("https://127.0.0.1/", "loopback"),
    ("https://127.255.255.254/", "loopback"),
    ("https://2130706433/", "loopback"),  # decimal
    ("https://017700000001/", "loopback"),  # one octal number
    ("https://0177.0.0.1/", "loopback"),  # octal part
    ("https://0x7f.0.0.1/", "loopback"),  # hex part
    ("https://0x7F000001/", "loopback"),  # one hex number
    ("https://127.1/", "loopback"),  # short form
    ("https://127.0.1/", "loopback"),
    ("https://127.0.0.1./", "loopback"),  # trailing dot
    ("https://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/", "loopback"),  # full-width
    ("https://[::1]/", "loopback"),
    ("https://[0:0:0:0:0:0:0:1]:8443/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped
    ("https://[::ffff:7f00:1]/", "loopback"),
    ("https://[64:ff9b::127.0.0.1]/", "loopback"),  # NAT64
    ("https://[2002:7f00:1::1]/", "loopback"),  # 6to4
    ("https://localhost/", "loopback"),
    # Private networks.
    ("https://10.0.0.5/", "private"),
    ("https://0xa.0.0.5/", "private"),
    ("https://167772165/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://172.31.255.255/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://[fd00::1]/", "private"),
    ("https://[fc00::1]/", "private"),
    ("https://[::ffff:10.0.0.5]/", "private"),
    ("https://[::10.0.0.5]/", "private"),  # IPv4-compatible
    ("https://[64:ff9b::a00:5]/", "private"),
    ("https://[64:ff9b:1::192.168.0.1]/", "private"),  # local-use NAT64
    ("https://[2002:a00:5::]/", "private"),
    ("https://internal.example/", "private"),
    ("https://mixed.example/", "private"),  # one private answer among public ones
    ("https://mixed6.example/", "private"),
    # Link-local and cloud metadata.
    ("https://169.254.169.254/", "metadata"),
    ("https://0xa9fea9fe/", "metadata"),
    ("https://2852039166/", "metadata"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://metadata.example/", "metadata"),
    ("https://169.254.1.1/", "link_local"),
    ("https://[fe80::1]/", "link_local"),
    ("https://linklocal6.example/", "link_local"),
    # The rest of the special-purpose space.
    ("https://0.0.0.0/", "unspecified"),
    ("https://0/", "unspecified"),
    ("https://0.1.2.3/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://100.64.0.1/", "cgnat"),
    ("https://100.100.100.200/", "cgnat"),
    ("https://100.127.255.254/", "cgnat"),
    ("https://224.0.0.1/", "multicast"),
    ("https://239.255.255.250/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://198.18.0.1/", "benchmark"),
    ("https://198.19.255.255/", "benchmark"),
    ("https://[2001:2::1]/", "benchmark"),
    ("https://192.0.2.1/", "documentation"),
    ("https://198.51.100.7/", "documentation"),
    ("https://203.0.113.9/", "documentation"),
    ("https://[2001:db8::1]/", "documentation"),
    ("https://240.0.0.1/", "reserved"),
    ("https://192.88.99.1/", "reserved"),
    ("https://[100::1]/", "reserved"),
    ("https://[4000::1]/", "reserved"),  # outside 2000::/3
    ("https://255.255.255.255/", "broadcast"),
    ("https://192.0.0.8/", "special"),
    ("https://192.0.0.192/", "special"),
    ("https://[fec0::1]/", "site_local"),
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "teredo"),
    ("https://[::ffff:8.8.8.8]/", "ipv4_mapped"),  # even a public IPv4 in disguise
    ("https://[::8.8.8.8]/", "ipv4_compatible"),
    # Names that do not resolve.
    ("https://nowhere.example/", "unresolvable"),
    ("https://empty.example/", "unresolvable"),
]

ACCEPTED = [
    (f"https://{PUBLIC_V4}/", [PUBLIC_V4]),
    ("https://8.8.8.8:8443/hook", ["8.8.8.8"]),
    ("https://134744072/", ["8.8.8.8"]),  # decimal spelling of a public address
    ("https://11.0.0.1/", ["11.0.0.1"]),  # just past 10/8
    ("https://172.32.0.1/", ["172.32.0.1"]),  # just past 172.16/12
    ("https://100.128.0.1/", ["100.128.0.1"]),  # just past 100.64/10
    ("https://198.20.0.1/", ["198.20.0.1"]),  # just past 198.18/15
    ("https://192.0.3.1/", ["192.0.3.1"]),
    ("https://169.255.0.1/", ["169.255.0.1"]),
    ("https://223.255.255.254/", ["223.255.255.254"]),
    ("https://[2606:4700:4700::1111]/", ["2606:4700:4700::1111"]),
    ("https://[64:ff9b::8.8.8.8]/", ["64:ff9b::808:808"]),  # NAT64 of a public address
    ("https://[2002:808:808::1]/", ["2002:808:808::1"]),  # 6to4 of a public address
    ("https://hooks.example.com/cyberspotter?v=1", [PUBLIC_V4, PUBLIC_V6]),
    ("https://HOOKS.Example.COM./", [PUBLIC_V4, PUBLIC_V6]),
    ("https://bücher.example/", [PUBLIC_V4]),  # IDNA
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTargetError) as caught:
        check(url)
    assert caught.value.reason == reason
    assert str(caught.value)  # a sentence for the admin


def test_refusals_name_the_address_for_people() -> None:
    with pytest.raises(UnsafeTargetError, match=r"10\.0\.0\.5 is a private network address"):
        check("https://10.0.0.5/")
    with pytest.raises(UnsafeTargetError, match=r"internal\.example resolves to .*10\.1\.2\.3"):
        check("https://internal.example/")
    with pytest.raises(UnsafeTargetError, match=r"stands for 169\.254\.169\.254\) is a cloud metadata"):
        check("https://[::ffff:169.254.169.254]/")


@pytest.mark.parametrize(("url", "addresses"), ACCEPTED)
def test_public_targets_accepted(url: str, addresses: list[str]) -> None:
    assert check(url) == [ipaddress.ip_address(a) for a in addresses]


def test_names_go_to_the_resolver_as_ascii_and_literals_never_do() -> None:
    resolver = dns()
    check("https://bücher.example:8443/", resolver=resolver)
    assert resolver.asked == [("xn--bcher-kva.example", 8443)]
    check("https://2130706433/", allow_private=True, resolver=resolver)
    check("https://[::1]/", allow_private=True, resolver=resolver)
    assert len(resolver.asked) == 1


ALLOWED_WHEN_PRIVATE = [
    "http://127.0.0.1:8000/",
    "http://127.1/",
    "http://10.0.0.5/",
    "http://172.20.1.1/",
    "http://192.168.1.10/",
    "http://[::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.5]/",
    "http://localhost/",
    "http://internal.example/",
    "https://receiver.test/",
]

STILL_REFUSED_WHEN_PRIVATE = [
    ("http://169.254.169.254/", "metadata"),
    ("http://0xa9fea9fe/", "metadata"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://metadata.example/", "metadata"),
    ("http://169.254.1.1/", "link_local"),
    ("http://[fe80::1]/", "link_local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://100.64.0.1/", "cgnat"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[::ffff:8.8.8.8]/", "ipv4_mapped"),
]


@pytest.mark.parametrize("url", ALLOWED_WHEN_PRIVATE)
def test_allow_private_lets_loopback_and_private_through(url: str) -> None:
    assert check(url, allow_private=True)
    with pytest.raises(UnsafeTargetError):
        check(url, allow_private=False, allow_http=True)


@pytest.mark.parametrize(("url", "reason"), STILL_REFUSED_WHEN_PRIVATE)
def test_allow_private_never_opens_link_local_or_metadata(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTargetError) as caught:
        check(url, allow_private=True)
    assert caught.value.reason == reason


SYNTAX = [
    ("ftp://example.com/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme"),
    ("//hooks.example.com/", "scheme"),
    ("hooks.example.com", "scheme"),
    ("http://hooks.example.com/", "http_not_allowed"),
    ("HTTP://hooks.example.com/", "http_not_allowed"),
    ("https://user:pass@hooks.example.com/", "userinfo"),
    ("https://user@hooks.example.com/", "userinfo"),
    ("https://@hooks.example.com/", "userinfo"),
    ("https://hooks.example.com@127.0.0.1/", "userinfo"),
    ("https:///path", "no_host"),
    ("https://", "no_host"),
    ("https://:443/", "no_host"),
    ("https://hooks.example.com:0/", "port"),
    ("https://hooks.example.com:65536/", "port"),
    ("https://hooks.example.com:-1/", "port"),
    ("https://hooks.example.com:abc/", "port"),
    ("https://hooks.example.com:/", "port"),
    ("https://hooks.example.com:\uff18\uff10/", "port"),  # full-width digits
    ("https://hooks.example.com\\@127.0.0.1/", "syntax"),
    ("https://hooks.example.com /", "syntax"),
    ("https://hooks.example.com/\r\nX-Injected: 1", "syntax"),
    ("https://hooks.example.com/" + "a" * 2100, "syntax"),
    ("https://[::1/", "syntax"),  # urllib refuses the unclosed bracket
    ("https://[::1]x/", "host"),
    ("https://[127.0.0.1]/", "syntax"),
    ("https://[fe80::1%25eth0]/", "host"),
    ("https://%31%32%37.0.0.1/", "host"),
    ("https://1.2.3.4.5/", "host"),
    ("https://256.0.0.1/", "host"),
    ("https://1.2.3.0x100/", "host"),
    ("https://08.0.0.1/", "host"),  # not octal, not decimal
    ("https://example.123/", "host"),
    ("https://-bad-.example/", "host"),
    ("https://a..b.example/", "host"),
    ("https://xn--zz.example/", "host"),
]


@pytest.mark.parametrize(("url", "reason"), SYNTAX)
def test_syntax_refusals(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTargetError) as caught:
        net.check_url(url, allow_private=False, allow_http=False)
    assert caught.value.reason == reason


def test_http_needs_a_setting() -> None:
    assert net.check_url("http://hooks.example.com/", allow_private=False, allow_http=True).port == 80
    assert net.check_url("http://hooks.example.com/", allow_private=True, allow_http=False).scheme == "http"


def test_parsed_target_is_normalised() -> None:
    target = net.check_url("HTTPS://Bücher.Example:8443/a/b?c=d#frag", allow_private=False, allow_http=False)
    assert (target.scheme, target.host, target.port, target.path, target.ip) == (
        "https",
        "xn--bcher-kva.example",
        8443,
        "/a/b?c=d",
        None,
    )
    assert target.host_header == "xn--bcher-kva.example:8443"
    assert target.url == "https://xn--bcher-kva.example:8443/a/b?c=d"
    # A request line is ASCII: anything else in the path or query goes percent-encoded, as UTF-8.
    assert net.check_url("https://example.org/hooks/café?to=Zürich", allow_private=False,
                         allow_http=False).path == "/hooks/caf%C3%A9?to=Z%C3%BCrich"
    v6 = net.check_url("https://[2606:4700:4700:0::1111]/", allow_private=False, allow_http=False)
    assert v6.host_header == "[2606:4700:4700::1111]"
    assert net.check_url("https://0x08.010.0x8.8", allow_private=False, allow_http=False).host == "8.8.8.8"


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_spelling_of_an_ipv4_address_is_the_same_address(number: int) -> None:
    address = ipaddress.IPv4Address(number)
    a, b, c, d = address.packed
    spellings = [
        str(number),
        hex(number),
        "0" + oct(number)[2:],
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{a}.{b}.{(c << 8) | d}",
        f"{hex(a)}.{oct(b).replace('0o', '0')}.{c}.{hex(d)}",
    ]
    for spelling in spellings:
        target = net.check_url(f"https://{spelling}/", allow_private=False, allow_http=False)
        assert target.ip == address, spelling


@given(st.ip_addresses())
def test_whatever_we_call_public_python_calls_global(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    if net.classify_address(ip) is None:
        assert ip.is_global


@given(st.ip_addresses(v=4))
def test_ipv4_in_ipv6_clothing_is_never_public(ip: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}")
    verdict = net.classify_address(mapped)
    assert verdict is not None
    own = net.classify_address(ip)
    assert verdict[0] == (own[0] if own else "ipv4_mapped")


@pytest.mark.anyio
async def test_validate_target_agrees_with_the_table() -> None:
    for url, reason in REFUSED:
        with pytest.raises(UnsafeTargetError) as caught:
            await net.validate_target(url, allow_private=False, resolver=dns())
        assert caught.value.reason == reason, url
    for url, _ in ACCEPTED:
        assert (await net.validate_target(url, allow_private=False, resolver=dns())).host


@pytest.mark.anyio
async def test_validate_target_gives_up_on_a_hung_resolver() -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return [PUBLIC_V4]

    started = time.monotonic()
    with pytest.raises(UnsafeTargetError) as caught:
        await net.validate_target("https://slow.example/", allow_private=False, resolver=slow, timeout=0.2)
    assert caught.value.reason == "unresolvable"
    assert time.monotonic() - started < 0.8


# --- send() without sockets: what goes on the wire ------------------------------------


class Recorder:
    """An httpx transport that answers 204 and keeps the requests it got."""

    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_for = fail_for or set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host in self.fail_for:
            raise httpx.ConnectError("Network is unreachable", request=request)
        return httpx.Response(204)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


HEADERS = {
    "webhook-id": "msg_1",
    "user-agent": "CyberSpotter-Webhooks/0.1.0",
    "content-type": "application/json",
}


@pytest.mark.anyio
async def test_send_connects_to_the_checked_address_with_the_original_name() -> None:
    recorder = Recorder()
    result = await net.send(
        "https://hooks.example.com/cyberspotter?v=1",
        body=b'{"type":"ping"}',
        headers={**HEADERS, "Host": "evil.example", "Accept-Encoding": "gzip"},
        allow_private=False,
        resolver=dns(),
        transport=recorder.transport(),
    )
    assert result.status_code == 204 and result.ok and result.error is None
    (request,) = recorder.requests
    assert request.url.host == PUBLIC_V4
    assert request.url.netloc == PUBLIC_V4.encode()  # port 443, the default
    assert request.url.raw_path == b"/cyberspotter?v=1"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["accept-encoding"] == "identity"
    assert request.headers["webhook-id"] == "msg_1"
    assert request.content == b'{"type":"ping"}'


@pytest.mark.anyio
async def test_send_uses_brackets_for_ipv6_and_no_sni_for_literals() -> None:
    recorder = Recorder()
    await net.send(
        "https://[2606:4700:4700::1111]:8443/h",
        body=b"{}",
        headers=HEADERS,
        allow_private=False,
        transport=recorder.transport(),
    )
    (request,) = recorder.requests
    assert request.url.host == "2606:4700:4700::1111"
    assert request.url.netloc == b"[2606:4700:4700::1111]:8443"
    assert request.headers["host"] == "[2606:4700:4700::1111]:8443"
    assert "sni_hostname" not in request.extensions


@pytest.mark.anyio
async def test_send_tries_the_next_address_when_one_cannot_connect() -> None:
    recorder = Recorder(fail_for={PUBLIC_V4})
    result = await net.send(
        "https://hooks.example.com/",
        body=b"{}",
        headers=HEADERS,
        allow_private=False,
        resolver=dns(),
        transport=recorder.transport(),
    )
    assert [r.url.host for r in recorder.requests] == [PUBLIC_V4, PUBLIC_V6]
    assert result.status_code == 204


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url",
    [
        "https://mixed.example/",
        "https://rebind.example/",
        "https://10.0.0.1/",
        "https://[::ffff:169.254.169.254]/",
        "http://hooks.example.com/",
    ],
)
async def test_send_refuses_unsafe_targets_without_connecting(url: str) -> None:
    recorder = Recorder()
    result = await net.send(
        url, body=b"{}", headers=HEADERS, allow_private=False, resolver=dns(), transport=recorder.transport()
    )
    assert recorder.requests == []
    assert result.error_kind == "unsafe"
    assert result.status_code is None and not result.ok
    assert result.error


@pytest.mark.anyio
async def test_send_reports_a_name_that_does_not_resolve_as_a_connection_failure() -> None:
    recorder = Recorder()
    result = await net.send(
        "https://nowhere.example/",
        body=b"{}",
        headers=HEADERS,
        allow_private=False,
        resolver=dns(),
        transport=recorder.transport(),
    )
    assert recorder.requests == []
    assert result.error_kind == "connect"
    assert "nowhere.example" in (result.error or "")


@pytest.mark.anyio
async def test_send_deadline_covers_a_hung_resolver() -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return [PUBLIC_V4]

    result = await net.send(
        "https://slow.example/",
        body=b"{}",
        headers=HEADERS,
        allow_private=False,
        resolver=slow,
        total_timeout=0.2,
    )
    assert result.error_kind == "timeout"
    assert result.elapsed_ms < 800


def test_parse_retry_after() -> None:
    now = dt.datetime(2026, 11, 24, 10, 0, 0, tzinfo=dt.UTC)
    assert net.parse_retry_after("120", now=now) == 120.0
    assert net.parse_retry_after(" 0 ", now=now) == 0.0
    assert net.parse_retry_after("Tue, 24 Nov 2026 10:05:00 GMT", now=now) == 300.0
    assert net.parse_retry_after("Tue, 24 Nov 2026 09:00:00 GMT", now=now) == 0.0
    for unreadable in (None, "", "soon", "-5", "1.5", "1e9", "Tue, 99 Foo 2026"):
        assert net.parse_retry_after(unreadable, now=now) is None, unreadable


# --- send() on real sockets (127.0.0.1 only) --------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A tiny HTTP/1.1 server on an ephemeral port of 127.0.0.1, driven by a handler."""

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None, keep_alive: bool = False) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.keep_alive = keep_alive  # serve further requests on a connection the client keeps open
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            if self.ssl_context is not None:
                # TLS inside the handler, so a refused handshake is this task's business
                # rather than an error the event loop reports on its own.
                await writer.start_tls(self.ssl_context)
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                await self.handler(reader, writer)
                if not self.keep_alive or b"connection: close" in head.lower():
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def url(self, path: str = "/hook", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def header(self, name: str, index: int = 0) -> str | None:
        head = self.requests[index][0].decode("latin-1")
        for line in head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


def respond(status: str, body: bytes = b"", headers: dict[str, str] | None = None, close: bool = True) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"] + (["Connection: close"] if close else [])
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()

    return handler


async def local_send(url: str, **options) -> net.SendResult:
    options.setdefault("body", b'{"type":"ping"}')
    options.setdefault("headers", dict(HEADERS))
    options.setdefault("allow_private", True)
    options.setdefault("allow_http", True)
    return await net.send(url, **options)


@pytest.mark.anyio
async def test_a_normal_answer() -> None:
    async with Server(
        respond("200 OK", b'{"received":true}', {"Content-Type": "application/json"})
    ) as server:
        result = await local_send(server.url())
    assert result.status_code == 200 and result.ok
    assert result.body == b'{"received":true}'
    assert result.headers["content-type"] == "application/json"
    assert not result.truncated and result.error is None and result.error_kind is None
    assert result.retry_after is None
    assert 0 <= result.elapsed_ms < 2000
    head, body = server.requests[0]
    assert head.startswith(b"POST /hook HTTP/1.1\r\n")
    assert body == b'{"type":"ping"}'
    assert server.header("accept-encoding") == "identity"
    assert server.header("webhook-id") == "msg_1"


@pytest.mark.anyio
async def test_private_targets_need_the_setting_even_at_send_time() -> None:
    async with Server(respond("200 OK")) as server:
        result = await local_send(server.url(), allow_private=False)
    assert result.error_kind == "unsafe"
    assert server.connections == 0


@pytest.mark.anyio
async def test_the_host_header_is_the_original_name_when_connecting_by_address() -> None:
    resolver = dns()
    async with Server(respond("204 No Content")) as server:
        result = await local_send(
            server.url("/hooks/cyberspotter?x=1", host="receiver.test"), resolver=resolver
        )
    assert result.status_code == 204
    assert resolver.asked == [("receiver.test", server.port)]
    assert server.requests[0][0].startswith(b"POST /hooks/cyberspotter?x=1 HTTP/1.1\r\n")
    assert server.header("host") == f"receiver.test:{server.port}"


@pytest.mark.anyio
async def test_a_path_with_other_than_ascii_goes_percent_encoded() -> None:
    async with Server(respond("204 No Content")) as server:
        result = await local_send(server.url("/hooks/café?to=Zürich"))
    assert result.status_code == 204
    assert server.requests[0][0].startswith(b"POST /hooks/caf%C3%A9?to=Z%C3%BCrich HTTP/1.1\r\n")


@pytest.mark.anyio
async def test_redirects_are_not_followed() -> None:
    async with Server(respond("200 OK")) as elsewhere:
        redirect = respond("302 Found", headers={"Location": elsewhere.url("/stolen")})
        async with Server(redirect) as server:
            result = await local_send(server.url())
    assert result.status_code == 302 and not result.ok
    assert result.headers["location"] == elsewhere.url("/stolen")
    assert elsewhere.connections == 0


@pytest.mark.anyio
async def test_a_hanging_server_is_left_at_the_deadline() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with Server(hang) as server:
        started = time.monotonic()
        result = await local_send(server.url(), total_timeout=1.0)
        took = time.monotonic() - started
    assert result.error_kind == "timeout"
    assert result.status_code is None
    assert 0.9 <= took < 1.5
    assert 900 <= result.elapsed_ms < 1500


@pytest.mark.anyio
async def test_a_dribbling_server_is_left_at_the_deadline() -> None:
    async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.2)

    async with Server(dribble) as server:
        started = time.monotonic()
        result = await local_send(server.url(), total_timeout=1.0)
        took = time.monotonic() - started
    # Each byte arrives well within any read timeout; only the absolute deadline stops it.
    assert 0.9 <= took < 1.5
    assert result.error_kind == "timeout"
    assert result.status_code == 200 and result.truncated
    assert 1 <= len(result.body) <= 7 and set(result.body) == {ord("x")}


@pytest.mark.anyio
async def test_a_reset_connection() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async with Server(reset) as server:
        result = await local_send(server.url())
    assert result.status_code is None
    assert result.error_kind == "connect"
    assert "reset" in (result.error or "").lower()
    assert server.connections == 1  # no retry inside one attempt once the request went out


@pytest.mark.anyio
async def test_a_reset_in_the_middle_of_the_answer_keeps_the_status() -> None:
    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        writer.transport.abort()

    async with Server(half) as server:
        result = await local_send(server.url())
    assert result.status_code == 200
    assert result.body == b"partial"
    assert result.error_kind in {"connect", "protocol"}


@pytest.mark.anyio
async def test_nothing_listening() -> None:
    async with Server(respond("200 OK")) as server:
        url = server.url()
    result = await local_send(url)  # the server is closed now
    assert result.error_kind == "connect"
    assert result.status_code is None


@pytest.mark.anyio
async def test_a_gzip_bomb_is_not_inflated() -> None:
    member = gzip.compress(b"\0" * 1_000_000)
    bomb = member * 64  # a valid multi-member gzip stream: 64 MB inflated
    assert len(bomb) > 16384

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n"
        writer.write(head.encode() + bomb)
        await writer.drain()

    async with Server(handler) as server:
        tracemalloc.start()
        try:
            result = await local_send(server.url())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.status_code == 200
    assert result.headers["content-encoding"] == "gzip"
    assert result.truncated
    assert len(result.body) == 16384
    assert result.body.startswith(b"\x1f\x8b")  # still compressed
    assert peak < 8_000_000


@pytest.mark.anyio
async def test_an_oversized_answer_is_truncated() -> None:
    async with Server(respond("500 Internal Server Error", b"e" * 100_000)) as server:
        result = await local_send(server.url(), max_response_bytes=1000)
    assert result.status_code == 500
    assert result.body == b"e" * 1000 and result.truncated
    assert result.error is None


@pytest.mark.anyio
async def test_an_answer_of_exactly_the_limit_is_not_truncated() -> None:
    async with Server(respond("200 OK", b"k" * 1000)) as server:
        result = await local_send(server.url(), max_response_bytes=1000)
    assert result.body == b"k" * 1000 and not result.truncated


@pytest.mark.anyio
async def test_retry_after_seconds_and_date() -> None:
    async with Server(respond("429 Too Many Requests", headers={"Retry-After": "7"})) as server:
        result = await local_send(server.url())
    assert result.status_code == 429 and result.retry_after == 7.0

    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120), usegmt=True)
    async with Server(respond("503 Service Unavailable", headers={"Retry-After": later})) as server:
        result = await local_send(server.url())
    assert result.status_code == 503
    assert result.retry_after is not None and 115 <= result.retry_after <= 121


@pytest.mark.anyio
async def test_a_shared_transport_serves_many_attempts() -> None:
    async with Server(respond("200 OK", b"ok")) as server, net.WebhookTransport() as transport:
        results = await asyncio.gather(*(local_send(server.url(), transport=transport) for _ in range(5)))
    assert [r.status_code for r in results] == [200] * 5
    assert server.connections == 5  # without an endpoint, connections are never reused
    assert all(server.header("connection", index) == "close" for index in range(5))


@pytest.mark.anyio
async def test_an_endpoint_reuses_its_own_connection() -> None:
    async with Server(respond("204 No Content", close=False), keep_alive=True) as server, \
            net.WebhookTransport() as transport:
        for _ in range(4):
            result = await local_send(server.url(), transport=transport, endpoint=7)
            assert result.status_code == 204, result.error
    assert len(server.requests) == 4
    assert server.connections == 1
    assert server.header("connection") == "keep-alive"


@pytest.mark.anyio
async def test_endpoints_never_share_a_connection_even_at_one_address() -> None:
    # Two companies whose webhooks live on the same server: each request goes over a
    # connection opened for its own company.
    async with Server(respond("204 No Content", close=False), keep_alive=True) as server, \
            net.WebhookTransport() as transport:
        for company in (1, 2, 1, 2, 1):
            result = await local_send(server.url(), transport=transport, endpoint=company)
            assert result.status_code == 204, result.error
        assert transport.pooled_endpoints == 2
    assert server.connections == 2


@pytest.mark.anyio
async def test_an_endpoint_opens_no_more_connections_than_its_limit() -> None:
    gate = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await gate.wait()
        await respond("204 No Content", close=False)(reader, writer)

    async with Server(slow, keep_alive=True) as server, net.WebhookTransport(per_endpoint=2) as transport:
        sends = [asyncio.create_task(local_send(server.url(), transport=transport, endpoint=3)) for _ in range(6)]
        await asyncio.sleep(0.2)
        assert server.connections == 2  # the other four wait for one of these two
        gate.set()
        results = await asyncio.gather(*sends)
    assert [r.status_code for r in results] == [204] * 6
    assert server.connections == 2


@pytest.mark.anyio
@pytest.mark.parametrize("says_so", [True, False], ids=["connection-close-header", "silently"])
async def test_a_connection_the_receiver_closed_is_not_reused(says_so: bool) -> None:
    # The receiver answers and closes (as after its idle timeout), with "Connection: close"
    # or without a word; either way the next send opens a new connection. (Silently, the
    # pool has to see the closed socket before sending.)
    async with Server(respond("204 No Content", close=says_so), keep_alive=says_so) as server, \
            net.WebhookTransport() as transport:
        for _ in range(3):
            result = await local_send(server.url(), transport=transport, endpoint=9)
            assert result.status_code == 204, result.error
            await asyncio.sleep(0.05)
    assert server.connections == 3


@pytest.mark.anyio
async def test_idle_endpoint_pools_are_closed() -> None:
    async with Server(respond("204 No Content", close=False), keep_alive=True) as server, \
            net.WebhookTransport(keepalive_seconds=0.05, max_endpoints=2) as transport:
        for company in (1, 2, 3):
            assert (await local_send(server.url(), transport=transport, endpoint=company)).ok
        assert transport.pooled_endpoints == 2  # past the bound, the oldest idle pool went
        await asyncio.sleep(0.15)
        assert (await local_send(server.url(), transport=transport, endpoint=4)).ok
        assert transport.pooled_endpoints == 1  # the others idled past twice the keep-alive time


# --- TLS: connect by address, verify the name -----------------------------------------


def _certificates(name: str) -> tuple[bytes, bytes, bytes]:
    """A throwaway CA and a certificate for ``name`` signed by it (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), leaf.public_bytes(pem), key_pem


def _tls_contexts(tmp_path, name: str, seen_sni: list[str | None]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca_pem, cert_pem, key_pem = _certificates(name)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.sni_callback = lambda sock, server_name, context: seen_sni.append(server_name)
    client = ssl.create_default_context(cadata=ca_pem.decode())
    return server, client


@pytest.mark.anyio
async def test_tls_goes_to_the_address_but_names_and_verifies_the_host(tmp_path) -> None:
    seen_sni: list[str | None] = []
    server_ctx, client_ctx = _tls_contexts(tmp_path, "receiver.test", seen_sni)
    async with (
        Server(respond("200 OK", b"secure"), ssl_context=server_ctx) as server,
        net.WebhookTransport(verify=client_ctx) as transport,
    ):
        result = await local_send(
            server.url(host="receiver.test", scheme="https"), resolver=dns(), transport=transport
        )
    assert result.error is None, result.error
    assert result.status_code == 200 and result.body == b"secure"
    assert seen_sni == ["receiver.test"]
    assert server.header("host") == f"receiver.test:{server.port}"


@pytest.mark.anyio
async def test_tls_refuses_a_certificate_for_another_name(tmp_path) -> None:
    seen_sni: list[str | None] = []
    server_ctx, client_ctx = _tls_contexts(tmp_path, "other.test", seen_sni)
    async with (
        Server(respond("200 OK", b"impostor"), ssl_context=server_ctx) as server,
        net.WebhookTransport(verify=client_ctx) as transport,
    ):
        result = await local_send(
            server.url(host="receiver.test", scheme="https"), resolver=dns(), transport=transport
        )
    assert result.status_code is None
    assert result.error_kind == "connect"
    assert "certificate" in (result.error or "").lower()
    assert server.requests == []
