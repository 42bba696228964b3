"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright in Debian's Chromium.

Without a Chromium on the machine the tests skip with a message (CI installs the `chromium`
package). Screenshots of every step are kept under test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
AXE_PATH = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (install Debian's `chromium` package to run the browser tests)")
    return path


@pytest.fixture
def live_settings(database_url: str, tmp_path: Path) -> Settings:
    port = free_port()
    return Settings(
        env="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "data",
        base_url=f"http://127.0.0.1:{port}",
        run_dispatcher=True,
        webhook_allow_private_targets=True,
        webhook_allow_http=True,
    )


@pytest.fixture
def live_server(live_settings: Settings, training_content, chromium_executable: str) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    app = create_app(live_settings, content=training_content)
    server = LiveServer(app, int(live_settings.base_url.rsplit(":", 1)[1]))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_executable: str):  # type: ignore[no-untyped-def]
    # Module scope: Playwright's sync API keeps an event loop running on the main thread, which
    # would break every asyncio test that runs after it in the same process.
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class Steps:
    """Screenshots of each step, and a record of CSP violations and page errors."""

    def __init__(self, name: str) -> None:
        self.directory = ARTIFACTS / name
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.problems: list[str] = []

    def watch(self, page) -> None:  # type: ignore[no-untyped-def]
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", lambda message: self.problems.append(f"console: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text else None)

    def shot(self, page, label: str) -> Path:  # type: ignore[no-untyped-def]
        self.count += 1
        path = self.directory / f"{self.count:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def axe_violations(page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run axe-core in the page (evaluated through the DevTools protocol, so the CSP stays on)."""
    if not AXE_PATH.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/e2e")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in impacts
    ]


def assert_accessible(page, where: str) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page)
    assert not violations, f"axe on {where}:\n{json.dumps(violations, indent=1)}"
