"""The dispatcher in its homes: the web app's lifespan, `cyberspotter worker`, and the demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.demo import load_demo
from app.main import create_app
from app.models import Company, OutboxMessage, Referral
from tests.referrals.factories import Receiver, make_company, make_confirmed_listing


def status_of(db, referral_id: int) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(Referral, referral_id).status


def wait_for(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_app_runs_the_dispatcher_in_its_lifespan(db, settings, training_content, reporters) -> None:
    app = create_app(settings.model_copy(update={"run_dispatcher": True}), content=training_content)
    with Receiver() as receiver:
        make_company(db, settings, training_content, webhook_url=receiver.url())
        with TestClient(app):
            _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
            assert wait_for(lambda: status_of(db, referral.id) == "delivered")
            assert app.state.dispatcher_task is not None
        assert app.state.dispatcher_task.done()  # stopped with the app
    assert len(receiver.received) == 1


def test_no_dispatcher_when_the_setting_is_off(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app):
        assert getattr(app.state, "dispatcher", None) is None


def cli_env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**os.environ, "CYBERSPOTTER_DATABASE_URL": settings.database_url,
            "CYBERSPOTTER_DATA_DIR": str(settings.data_dir), "CYBERSPOTTER_ENV": "test",
            "CYBERSPOTTER_SECRET_KEY": settings.secret_key, "CYBERSPOTTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "CYBERSPOTTER_WEBHOOK_ALLOW_HTTP": "true", "CYBERSPOTTER_WEBHOOK_POLL_SECONDS": "0.1"}


def test_worker_once_sends_what_is_due(db, settings, training_content, reporters) -> None:
    with Receiver() as receiver:
        make_company(db, settings, training_content, webhook_url=receiver.url())
        _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
        done = subprocess.run([sys.executable, "-m", "app.cli", "worker", "--once"], env=cli_env(settings),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "after 1 delivery attempt" in done.stdout
    assert len(receiver.received) == 1 and status_of(db, referral.id) == "delivered"


def test_worker_runs_until_sigterm(db, settings, training_content, reporters) -> None:
    with Receiver() as receiver:
        make_company(db, settings, training_content, webhook_url=receiver.url())
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=cli_env(settings),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
            assert wait_for(lambda: status_of(db, referral.id) == "delivered", 20)
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 0, err
    assert "stopped after 1 delivery attempt" in out


def test_the_demo_step_is_idempotent_and_keeps_its_key(db, settings, training_content) -> None:
    first = load_demo(db, settings, training_content)
    second = load_demo(db, settings, training_content)
    key_lines = [line for line in first.notes if "API key" in line]
    assert key_lines and key_lines == [line for line in second.notes if "API key" in line]
    with db.session() as session:
        names = set(session.execute(select(Company.name)).scalars())
        statuses = sorted(session.execute(select(Referral.status)).scalars())
        messages = session.execute(select(OutboxMessage)).scalars().all()
    assert {"eBay", "Etsy"} <= names
    assert statuses.count("no_recipient") >= 1 and statuses.count("answered") >= 2
    assert all(message.status == "pending" for message in messages)  # no endpoint configured: they wait
    assert Path(settings.data_dir / "demo_company_api_key").exists()
