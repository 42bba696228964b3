"""The app as `cyberspotter serve` runs it, plus one bare endpoint that only this benchmark mounts.

`POST /bench/ceiling` does the least a write request can do in this app: the same
per-request transaction (`SessionDep`), one INSERT, the commit, a tiny JSON answer. No
authentication, validation or domain logic: the ceiling a real write endpoint is compared
with, in the same process and against the same database.

    python bench/server.py --port 8765 [--workers 2]

Configuration comes from the environment like the real server (CYBERSPOTTER_DATABASE_URL ...).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from app.deps import SessionDep
from app.main import create_app, freeze_startup_heap
from app.models import AuditEntry


def build() -> FastAPI:
    app = create_app()

    @app.post("/bench/ceiling", include_in_schema=False)
    def ceiling(session: SessionDep) -> dict[str, int]:
        entry = AuditEntry(actor_label="bench", action="bench.ceiling", entity_type="bench", entity_id="0")
        session.add(entry)
        session.flush()
        return {"id": entry.id or 0}

    freeze_startup_heap()  # as app.asgi does for `cyberspotter serve`
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run("server:build", factory=True, host="127.0.0.1", port=args.port, workers=args.workers,
                app_dir=str(Path(__file__).parent), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
