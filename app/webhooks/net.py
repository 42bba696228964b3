"""The SSRF-safe transport for webhooks: how we connect to a target that passed the checks.

* The target is checked (``app.webhooks.targets``) when it is saved and again on every send;
* the connection goes to the address that was checked, not to the name, so a second
  DNS answer cannot swap in another address (DNS rebinding). The original name still
  goes in the ``Host`` header and in TLS (SNI and certificate verification);
* redirects are never followed, answers are read raw (a gzip bomb is not inflated) and
  only up to a size limit, and the whole attempt has an absolute deadline;
* a connection is kept alive only for the endpoint it was opened for (``endpoint=``, the
  company): it is never lent to another company's request, even one for the same address.

``docs/ssrf.md`` explains the choices for people deciding whether to change them.
"""

from __future__ import annotations

import email.utils
import functools
import math
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Self

import anyio
import anyio.to_thread
import httpcore
import httpx

from app.webhooks.sockets import NetworkBackend
from app.webhooks.targets import (  # noqa: F401  (re-exported: the transport's public surface)
    DEFAULT_PORTS,
    MAX_URL_LENGTH,
    PRIVATE_REASONS,
    IPAddress,
    ParsedTarget,
    Resolver,
    UnsafeTargetError,
    check_address,
    check_url,
    classify_address,
    normalize_host,
    resolve_and_check,
    resolve_in_thread,
    system_resolver,
    validate_target,
)

ErrorKind = Literal["timeout", "connect", "unsafe", "protocol"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one delivery attempt produced. ``send`` never raises for network trouble."""

    status_code: int | None
    headers: dict[str, str]
    # Raw bytes as received (never decompressed), at most max_response_bytes.
    body: bytes
    truncated: bool
    elapsed_ms: int
    error: str | None = None
    error_kind: ErrorKind | None = None
    # Seconds to wait, from a Retry-After header (delay-seconds or HTTP-date).
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """The receiver answered 2xx: the message is delivered.

        True even when reading the rest of the answer then failed (``error`` is set):
        the status line is the receiver's acknowledgement.
        """
        return self.status_code is not None and 200 <= self.status_code < 300


# --- Sending -----------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date.

    None when absent or unreadable; a date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" dates: HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(slots=True)
class _Progress:
    """What an attempt got before it stopped, kept outside the deadline's scope."""

    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    truncated: bool = False


# The same failures as httpcore raises them (the network) and as httpx does (a test's transport).
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpcore.ConnectError, httpcore.ConnectTimeout)
_CONNECT_TIMEOUTS = (httpx.ConnectTimeout, httpcore.ConnectTimeout)
_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException)
_NETWORK_ERRORS = (httpx.NetworkError, httpcore.NetworkError)
_PROTOCOL_ERRORS = (httpx.TransportError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, httpcore.ProxyError)


@dataclass(slots=True)
class _Answer:
    status_code: int
    headers: dict[str, str]
    chunks: AsyncIterator[bytes]


def _header_dict(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names; a repeated header's values joined with ", " (as httpx.Headers does)."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in pairs:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as received, never decoded. A network response is streamed; a response
    an httpx.MockTransport built from bytes is already in memory."""
    if response.is_stream_consumed:
        if response.content:
            yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _url_text(url: httpcore.URL) -> str:
    """The URL as text (an IPv6 address in brackets), for a test's httpx transport."""
    host = url.host.decode()
    host = f"[{host}]" if ":" in host else host
    return f"{url.scheme.decode()}://{host}:{url.port}{url.target.decode()}"


@functools.lru_cache(maxsize=1024)
def _checked_url(url: str, allow_private: bool, allow_http: bool) -> ParsedTarget:
    """`check_url`, parsed once per endpoint URL: it looks at the text alone (its addresses
    are checked on every send). A refusal raises, and is never kept."""
    return check_url(url, allow_private=allow_private, allow_http=allow_http)


def _describe(exc: BaseException) -> str:
    """The most telling text in an exception chain (httpx's ReadError often has none)."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(seen):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


# An idle kept-alive connection is closed after this many seconds: shorter than the idle
# timeouts of common servers (5 s and up), so we close first instead of writing into a
# connection the receiver is closing.
KEEPALIVE_SECONDS = 4.0
# Endpoints whose connections are kept at once; the least recently used idle ones go first.
MAX_POOLED_ENDPOINTS = 256

PoolKey = tuple[Hashable, str, str, int, str]


@dataclass(slots=True, eq=False)
class _EndpointPool:
    """The kept-alive connections of one endpoint at one checked address: one lane (a
    single-connection httpcore pool) per request at once, opened as they are needed.

    Lanes rather than one pool of several connections: before every request and after
    every answer a pool looks over each of its connections (and asks the socket of each
    idle one whether the server closed it), so a lane of one connection costs a request
    one such look instead of one per connection kept.
    """

    lanes: list[httpcore.AsyncConnectionPool]
    busy: list[int]
    in_use: int = 0
    last_used: float = 0.0

    def take_lane(self, new_lane: Callable[[], httpcore.AsyncConnectionPool], limit: int) -> int:
        """A free lane (the first: the fewest connections stay open), a new one while there
        are fewer than `limit`, or else the least busy (its request waits for the connection)."""
        free = [index for index, count in enumerate(self.busy) if count == 0]
        if free:
            index = free[0]
        elif len(self.lanes) < limit:
            self.lanes.append(new_lane())
            self.busy.append(0)
            index = len(self.lanes) - 1
        else:
            index = min(range(len(self.busy)), key=self.busy.__getitem__)
        self.busy[index] += 1
        self.in_use += 1
        return index

    def give_lane(self, index: int) -> None:
        self.busy[index] -= 1
        self.in_use -= 1

    async def aclose(self) -> None:
        for lane in self.lanes:
            await lane.aclose()


class WebhookTransport:
    """The HTTP clients of every delivery of a process (or worker).

    httpx pools connections by address, not by host name or company, so a connection
    opened (and TLS-verified) for one company could carry the next request for another
    company served from the same address. So a send names its ``endpoint`` (the company)
    to reuse connections: each endpoint gets its own small pool, keyed also by the
    checked address, port and host name, and nobody else's request ever goes through it.
    A send without an endpoint opens and closes its own connection.

    Requests go straight to httpcore, the connection layer under httpx: a webhook needs
    none of what httpx's client adds on top (cookies, authentication, redirects, content
    decoding: each deliberately off here), and skipping it halves a send's CPU time.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        per_endpoint: int = 4,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
        max_endpoints: int = MAX_POOLED_ENDPOINTS,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``per_endpoint``: connections kept for one endpoint (the dispatcher's per-endpoint limit).
        ``verify``: True (system CAs via certifi) or an ``ssl.SSLContext`` (tests).
        ``transport``: an httpx transport to use instead of the network (tests); it is
        shared by every send, so nothing is pooled per endpoint then."""
        self._ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(
            verify=verify, trust_env=False  # the system's CAs (certifi); nothing from the environment
        )
        self._custom_transport = transport
        self._network = NetworkBackend()
        self._per_endpoint = max(1, per_endpoint)
        self._keepalive = keepalive_seconds
        self._max_endpoints = max_endpoints
        self._pools: OrderedDict[PoolKey, _EndpointPool] = OrderedDict()
        self._swept_at = time.monotonic()
        # Sends without an endpoint: a connection each, closed after the answer.
        self._pool = self._new_pool(max_connections=max_connections, keep_alive=0)

    def _new_pool(self, *, max_connections: int, keep_alive: int) -> httpcore.AsyncConnectionPool:
        # No proxy, ever: the connection goes to the checked address.
        return httpcore.AsyncConnectionPool(
            network_backend=self._network,
            ssl_context=self._ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=keep_alive,
            keepalive_expiry=self._keepalive if keep_alive else None,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()
        await self._pool.aclose()

    @property
    def pooled_endpoints(self) -> int:
        """How many endpoint pools are open (for tests and logs)."""
        return len(self._pools)

    async def _checkout(self, key: PoolKey) -> tuple[_EndpointPool, int]:
        now = time.monotonic()
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _EndpointPool(lanes=[], busy=[], last_used=now)
        else:
            self._pools.move_to_end(key)
        lane = pool.take_lane(self._new_lane, self._per_endpoint)
        if len(self._pools) > self._max_endpoints or now - self._swept_at > self._keepalive:
            self._swept_at = now
            await self._close_idle_pools()
        return pool, lane

    def _new_lane(self) -> httpcore.AsyncConnectionPool:
        return self._new_pool(max_connections=1, keep_alive=1)

    def _checkin(self, pool: _EndpointPool, lane: int) -> None:
        pool.give_lane(lane)
        pool.last_used = time.monotonic()

    async def _close_idle_pools(self) -> None:
        """Close the pools nobody used for a while, and the oldest idle ones past the bound."""
        stale_before = time.monotonic() - 2 * self._keepalive
        for key, pool in list(self._pools.items()):  # least recently used first
            too_many = len(self._pools) > self._max_endpoints
            if pool.in_use == 0 and (too_many or pool.last_used < stale_before):
                del self._pools[key]
                await pool.aclose()

    async def send(
        self,
        url: str,
        *,
        body: bytes,
        headers: dict[str, str],
        allow_private: bool,
        allow_http: bool = False,
        connect_timeout: float = 5.0,
        total_timeout: float = 15.0,
        max_response_bytes: int = 16384,
        resolver: Resolver | None = None,
        endpoint: Hashable | None = None,
    ) -> SendResult:
        """POST ``body`` to ``url`` once. Checks the target again, then connects to the
        checked address (or reuses a connection kept for ``endpoint`` at that address).
        Never raises for network errors or refused targets."""
        started = time.monotonic()
        progress = _Progress()
        error: str | None = None
        kind: ErrorKind | None = None

        with anyio.move_on_after(total_timeout) as deadline:
            try:
                target = _checked_url(url, allow_private, allow_http)
                addresses = await resolve_in_thread(target, allow_private=allow_private, resolver=resolver)
            except UnsafeTargetError as exc:
                # A name that does not resolve (today) is a transient failure, not a refusal.
                error = str(exc)
                kind = "connect" if exc.reason == "unresolvable" else "unsafe"
            else:
                error, kind = await self._post(
                    target,
                    addresses,
                    body=body,
                    headers=headers,
                    connect_timeout=connect_timeout,
                    total_timeout=total_timeout,
                    max_response_bytes=max_response_bytes,
                    progress=progress,
                    endpoint=endpoint,
                )
        if deadline.cancelled_caught:
            progress.truncated = progress.truncated or progress.status_code is not None
            kind = "timeout"
            if progress.status_code is None:
                error = f"no answer within {total_timeout:g} s"
            else:
                error = f"the answer was not complete within {total_timeout:g} s"
        return SendResult(
            status_code=progress.status_code,
            headers=progress.headers,
            body=bytes(progress.body),
            truncated=progress.truncated,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            error=error,
            error_kind=kind,
            retry_after=parse_retry_after(progress.headers.get("retry-after")),
        )

    async def _post(
        self,
        target: ParsedTarget,
        addresses: list[IPAddress],
        *,
        body: bytes,
        headers: dict[str, str],
        connect_timeout: float,
        total_timeout: float,
        max_response_bytes: int,
        progress: _Progress,
        endpoint: Hashable | None,
    ) -> tuple[str | None, ErrorKind | None]:
        request_headers = {
            name: value
            for name, value in headers.items()
            if name.lower() not in {"host", "accept-encoding", "connection", "content-length"}
        }
        request_headers["Host"] = target.host_header
        # Ask for the raw representation; whatever comes back is stored as it came.
        request_headers["Accept-Encoding"] = "identity"
        keep_alive = endpoint is not None and self._custom_transport is None
        request_headers["Connection"] = "keep-alive" if keep_alive else "close"
        header_list = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in request_headers.items()]
        extensions: dict[str, object] = {
            "timeout": {"connect": connect_timeout, "read": total_timeout, "write": total_timeout,
                        "pool": total_timeout},
        }
        if target.scheme == "https" and target.ip is None:
            # The URL holds the address; TLS must still name and verify the host.
            extensions["sni_hostname"] = target.host

        error: str | None = None
        kind: ErrorKind | None = None
        for ip in addresses:
            # Built from its parts: httpcore would otherwise parse a URL string on every request.
            url = httpcore.URL(scheme=target.scheme.encode(), host=str(ip).encode(), port=target.port,
                               target=target.path.encode("ascii"))
            pool, lane = None, 0
            if keep_alive:
                pool, lane = await self._checkout((endpoint, target.scheme, str(ip), target.port, target.host))
            try:
                async with self._exchange(pool.lanes[lane] if pool is not None else self._pool, url, header_list,
                                          body, extensions) as answer:
                    progress.status_code = answer.status_code
                    progress.headers = answer.headers
                    async for chunk in answer.chunks:
                        room = max_response_bytes - len(progress.body)
                        if len(chunk) > room:
                            progress.body += chunk[:room]
                            progress.truncated = True
                            break
                        progress.body += chunk
                return None, None
            except _CONNECT_ERRORS as exc:
                # Nothing was sent: the next address of the name may work (IPv6 without
                # a route, one server down). The deadline still bounds the whole loop.
                kind = "timeout" if isinstance(exc, _CONNECT_TIMEOUTS) else "connect"
                error = f"could not connect to {ip} port {target.port}: {_describe(exc)}"
                continue
            except _TIMEOUTS as exc:
                return f"timed out talking to {ip}: {_describe(exc)}", "timeout"
            except _NETWORK_ERRORS as exc:
                return f"connection to {ip} failed: {_describe(exc)}", "connect"
            except _PROTOCOL_ERRORS as exc:
                return f"the answer from {ip} was not valid HTTP: {_describe(exc)}", "protocol"
            finally:
                if pool is not None:
                    self._checkin(pool, lane)
        return error, kind

    @asynccontextmanager
    async def _exchange(
        self,
        pool: httpcore.AsyncConnectionPool,
        url: httpcore.URL,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        extensions: dict[str, object],
    ) -> AsyncIterator[_Answer]:
        """POST and stream the answer: through httpcore, or through the test's httpx transport."""
        if self._custom_transport is not None:
            request = httpx.Request("POST", _url_text(url), headers=headers, content=body, extensions=extensions)
            response = await self._custom_transport.handle_async_request(request)
            try:
                yield _Answer(response.status_code, dict(response.headers), _raw_chunks(response))
            finally:
                await response.aclose()
            return
        async with pool.stream("POST", url, headers=headers, content=body, extensions=extensions) as response:
            yield _Answer(response.status, _header_dict(response.headers), response.aiter_stream())


async def send(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    allow_http: bool = False,
    connect_timeout: float = 5.0,
    total_timeout: float = 15.0,
    max_response_bytes: int = 16384,
    resolver: Resolver | None = None,
    transport: WebhookTransport | httpx.AsyncBaseTransport | None = None,
    endpoint: Hashable | None = None,
) -> SendResult:
    """One delivery attempt (see ``WebhookTransport.send``).

    Pass a long-lived WebhookTransport as ``transport`` to share its client; an httpx
    transport (such as httpx.MockTransport) or None gets a client for this call only.
    """
    if isinstance(transport, WebhookTransport):
        return await transport.send(
            url,
            body=body,
            headers=headers,
            allow_private=allow_private,
            allow_http=allow_http,
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            resolver=resolver,
            endpoint=endpoint,
        )
    async with WebhookTransport(transport=transport) as own:
        return await send(
            url,
            body=body,
            headers=headers,
            allow_private=allow_private,
            allow_http=allow_http,
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            resolver=resolver,
            transport=own,
        )
