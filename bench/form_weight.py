"""The report form's weight on a first visit: `GET /report` as a certified volunteer, plus
every stylesheet and script the page links, in bytes and gzipped, with and without htmx.

    python bench/form_weight.py

The page is rendered by the real app (in process, a throwaway SQLite database under
--workdir); each file is gzipped on its own at level 6, as a web server would send it.
Target: under 30 KB gzipped without htmx.
"""

from __future__ import annotations

import argparse
import gzip
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from common import add_common_arguments, bench_settings, fresh_database, machine, table
from fastapi.testclient import TestClient

from app.deps import SESSION_COOKIE
from app.main import create_app, load_training_content
from app.models import Role, utcnow
from app.services import accounts
from app.services.accounts import register

TARGET_GZIPPED = 30 * 1024


class Assets(HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and (found.get("rel") or "").lower() == "stylesheet" and found.get("href"):
            self.urls.append(found["href"])  # type: ignore[arg-type]
        elif tag == "script" and found.get("src"):
            self.urls.append(found["src"])  # type: ignore[arg-type]


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    args = parser.parse_args()
    url = fresh_database("sqlite", "form_weight", args.workdir)
    settings = bench_settings(url, args.workdir)
    app = create_app(settings, content=load_training_content(settings))
    with app.state.db.transaction() as session:
        volunteer = register(session, email="weight@example.org", password="a long and unusual pass phrase",
                             display_name="Weigher", role=Role.volunteer)
        volunteer.certified_until = utcnow() + timedelta(days=365)
        token = accounts.start_session(session, user=volunteer, kind="web", settings=settings).token

    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, token)
        page = client.get("/report")
        assert page.status_code == 200 and "listing_url" in page.text, page.status_code
        assets = Assets()
        assets.feed(page.text)
        rows = [("GET /report (HTML)", page.content)]
        for asset in assets.urls:
            response = client.get(asset)
            assert response.status_code == 200, asset
            rows.append((urlsplit(asset).path, response.content))
    app.state.db.dispose()

    def is_htmx(path: str) -> bool:
        return "htmx" in path

    lines = [[path, f"{len(data):,}", f"{gzipped(data):,}"] for path, data in rows]
    for label, keep in (("total without htmx", lambda path: not is_htmx(path)), ("total with htmx", lambda path: True)):
        chosen = [data for path, data in rows if keep(path)]
        lines.append([f"**{label}**", f"{sum(len(d) for d in chosen):,}", f"{sum(gzipped(d) for d in chosen):,}"])
    without = sum(gzipped(data) for path, data in rows if not is_htmx(path))
    print(f"The report form on a first visit. {machine()}")
    print(table(["resource", "bytes", "gzipped bytes"], lines))
    verdict = "meets" if without < TARGET_GZIPPED else "MISSES"
    print(f"\nWithout htmx: {without / 1024:.1f} KB gzipped, {verdict} the target of {TARGET_GZIPPED // 1024} KB.")


if __name__ == "__main__":
    main()
