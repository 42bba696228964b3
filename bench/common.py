"""What the benchmarks share: where their databases live, settings, percentiles, tables.

Benchmarks write nothing into the repository: their databases and files go under
`--workdir` (default: a `cyberspotter-bench` folder in the system's temporary directory),
and PostgreSQL databases are named `cs_bench_*` on the server of
`CYBERSPOTTER_BENCH_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# The test client's own deprecation notice is noise in a benchmark's output.
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
if str(ROOT) not in sys.path:  # `python bench/x.py` from the repository root
    sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.migrate import upgrade  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("CYBERSPOTTER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = secrets.token_urlsafe(48)


def default_workdir() -> Path:
    return Path(tempfile.gettempdir()) / "cyberspotter-bench"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, default=default_workdir(),
                        help="where SQLite files and evidence go (default: %(default)s)")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--only-postgres", action="store_true", help="run on PostgreSQL only")


def engines(args: argparse.Namespace) -> list[str]:
    if args.only_postgres:
        return ["postgres"]
    return ["sqlite", "postgres"] if args.postgres else ["sqlite"]


def postgres_url(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def postgres_exists(name: str) -> bool:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def drop_postgres(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def fresh_database(engine: str, name: str, workdir: Path) -> str:
    """An empty, migrated database called `name` (a file under workdir, or cs_bench_<name>)."""
    if engine == "sqlite":
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        database = f"cs_bench_{name}"
        drop_postgres(database)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        url = postgres_url(database)
    upgrade(url)
    return url


def existing_database(engine: str, name: str, workdir: Path) -> str | None:
    if engine == "sqlite":
        path = workdir / f"{name}.db"
        return f"sqlite:///{path}" if path.exists() else None
    database = f"cs_bench_{name}"
    return postgres_url(database) if postgres_exists(database) else None


def bench_settings(database_url: str, workdir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development", "database_url": database_url, "secret_key": SECRET, "data_dir": workdir / "data",
        "run_dispatcher": False, "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """p50 / p95 / p99 of durations in seconds, shown in milliseconds."""
    return (f"p50 {percentile(values, 0.50) * 1000:7.1f} ms  p95 {percentile(values, 0.95) * 1000:7.1f} ms  "
            f"p99 {percentile(values, 0.99) * 1000:7.1f} ms  mean {statistics.fmean(values) * 1000:7.1f} ms")


def machine() -> str:
    cpus = os.cpu_count() or 0
    try:
        load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = "load unknown"
    return f"{platform.node()}: {cpus} cores, Python {platform.python_version()}, {load}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain Markdown table, so the output can be pasted into docs/performance.md."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(str(header)), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    return "\n".join(lines)
