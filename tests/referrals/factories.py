"""Confirmed listings with reports and evidence, companies, and a webhook receiver."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.config import Settings
from app.db import Database
from app.models import Evidence, Listing, ListingStatus, Referral, Report, User, utcnow
from app.services import companies, referrals
from app.services.companies import CompanyCredentials

_numbers = itertools.count(1000)
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f6"
    "0d8b0000000049454e44ae426082"
)


def make_confirmed_listing(
    db: Database,
    settings: Settings,
    content: Any,
    *,
    reporters: list[User],
    expert: User | None = None,
    domain: str = "ebay.co.uk",
    platform_id: str | None = "ebay",
    species_id: str = "loxodonta-africana",
    finding: str = "Carved ivory offered as 'bone'; tusk grain visible in the photos.",
    evidence_per_report: int = 1,
    refer: bool = True,
) -> tuple[Listing, Referral | None]:
    """A confirmed listing with one report per reporter (notes and seller details that
    must never reach a company) and stored evidence files, then `create_referral`."""
    number = next(_numbers)
    now = utcnow()
    with db.transaction() as session:
        url = f"https://{domain}/itm/{number}"
        listing = Listing(
            url_hash=hashlib.sha256(url.encode()).hexdigest(), canonical_url=url, host=domain,
            registrable_domain=domain, platform_id=platform_id, external_id=str(number),
            status=ListingStatus.confirmed, species_id=species_id, report_count=len(reporters),
            decided_by_id=expert.id if expert else None, decided_at=now, confirmed_at=now,
            finding=finding, decision_note="internal note of the expert",
        )
        session.add(listing)
        session.flush()
        settings.evidence_dir.mkdir(parents=True, exist_ok=True)
        for reporter in reporters:
            report = Report(
                listing_id=listing.id, reporter_id=reporter.id, original_url=url + "?utm_source=share",  # type: ignore[arg-type]
                species_id=species_id, species_guess="elephant ivory?",
                notes=f"Private note by {reporter.display_name} <{reporter.email}>",
                seller_handle="seller-handle-secret", listing_title="Antique bone carving",
                listing_text="Listing text typed by the volunteer", country="GB",
            )
            session.add(report)
            session.flush()
            for index in range(evidence_per_report):
                key = f"test/{listing.id}-{report.id}-{index}.png"
                path = settings.evidence_dir / key
                path.parent.mkdir(parents=True, exist_ok=True)
                data = PNG_1X1 + f"{listing.id}-{report.id}-{index}".encode()
                path.write_bytes(data)
                session.add(Evidence(
                    report_id=report.id, sha256=hashlib.sha256(data).hexdigest(),  # type: ignore[arg-type]
                    content_type="image/png", width=1, height=1, size_bytes=len(data), storage_key=key,
                ))
        session.flush()
        referral = None
        if refer:
            referral = referrals.create_referral(session, listing=listing, actor=expert, settings=settings,
                                                 content=content)
    return listing, referral


def make_company(
    db: Database,
    settings: Settings,
    content: Any,
    *,
    name: str | None = None,
    platforms: tuple[str, ...] = ("ebay",),
    domains: tuple[str, ...] = (),
    webhook_url: str | None = None,
    active: bool = True,
) -> CompanyCredentials:
    with db.transaction() as session:
        return companies.create_company(
            session, name=name or f"Company {next(_numbers)}", platforms=platforms, domains=domains,
            contact_email="takedowns@example.com", webhook_url=webhook_url, active=active, actor=None,
            settings=settings, content=content,
        )


# --- A webhook receiver on 127.0.0.1 -------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


# An answer: (status, headers, body), or a callable deciding from the request.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    """A threaded HTTP server that records every request and answers from a script.

    `answers` are used in order (the last one repeats); `delay` or a closed `gate` holds
    each answer back, so tests can make an endpoint slow or hang. `max_concurrent` counts requests in progress at once,
    per webhook-id and overall.
    """

    answers: list[Answer | Callable[[Received], Answer]] = field(default_factory=lambda: [(200, {}, b"ok")])
    delay: float = 0.0
    # When set, every answer waits until the test opens the gate (an endpoint that hangs).
    gate: threading.Event | None = None
    port: int = 0
    received: list[Received] = field(default_factory=list)
    max_concurrent: int = 0
    overlapping_ids: set[str] = field(default_factory=set)
    _in_progress: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                length = int(self.headers.get("content-length") or 0)
                item = Received(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                                body=self.rfile.read(length), at=time.monotonic())
                status, headers, body = receiver._answer(item)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                # The client may have given up already (a timeout test): nothing to tell it then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _answer(self, item: Received) -> Answer:
        msg_id = item.headers.get("webhook-id", "")
        with self._lock:
            index = len(self.received)
            self.received.append(item)
            self._in_progress[msg_id] = self._in_progress.get(msg_id, 0) + 1
            if self._in_progress[msg_id] > 1:
                self.overlapping_ids.add(msg_id)
            self.max_concurrent = max(self.max_concurrent, sum(self._in_progress.values()))
        try:
            if self.delay:
                time.sleep(self.delay)
            if self.gate is not None:
                self.gate.wait(timeout=30)
            answer = self.answers[min(index, len(self.answers) - 1)]
            return answer(item) if callable(answer) else answer
        finally:
            with self._lock:
                self._in_progress[msg_id] -= 1

    def ids(self) -> list[str]:
        return [item.headers.get("webhook-id", "") for item in self.received]


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        # A moment ahead of "now", so that what was just written is already due.
        self.now = utcnow() + timedelta(seconds=1)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
