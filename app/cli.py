"""The `cyberspotter` command: migrate, serve, worker, create-user, demo."""

from __future__ import annotations

import logging
from functools import partial
from typing import Annotated

import typer

from app.config import get_settings
from app.db import make_database
from app.models import Role

cli = typer.Typer(help="Cyber Spotter: spot wildlife trafficking online.", no_args_is_help=True,
                  add_completion=False)


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo("Database is up to date.")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only).")] = 1,
) -> None:
    """Serve the web app and the API (uvicorn)."""
    import uvicorn

    settings = get_settings()
    _configure_logging(settings.log_level)
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter("several worker processes need PostgreSQL; SQLite serves one", param_hint="--workers")
    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, proxy_headers=True,
                log_level=settings.log_level.lower(), access_log=False)


@cli.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, wait for the answers, then exit.")] = False,
) -> None:
    """Deliver webhooks until stopped (SIGTERM or Ctrl-C finish the sends in flight first).

    `serve` already runs one delivery loop (CYBERSPOTTER_RUN_DISPATCHER=false turns it off);
    run workers to deliver from separate processes. Several workers share one PostgreSQL
    database safely; on SQLite run one.
    """
    import anyio

    from app.main import freeze_startup_heap
    from app.webhooks.dispatcher import run_worker

    settings = get_settings()
    _configure_logging(settings.log_level)
    database = make_database(settings.database_url)
    freeze_startup_heap()
    try:
        attempts = anyio.run(partial(run_worker, database, settings, once=once))
    finally:
        database.dispose()
    typer.echo(f"Webhook worker stopped after {attempts} delivery attempt(s).")


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="E-mail address (the login).")],
    password: Annotated[str, typer.Option(help="At least 12 characters.")],
    role: Annotated[Role, typer.Option(help="volunteer, expert or admin.")] = Role.volunteer,
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the e-mail's local part).")] = None,
) -> None:
    """Create an account with a role."""
    from app.errors import DomainError
    from app.services import accounts, audit

    settings = get_settings()
    database = make_database(settings.database_url)
    try:
        with database.transaction() as session:
            user = accounts.register(session, email=email, password=password,
                                     display_name=name or email.split("@")[0])
            if role != Role.volunteer:
                user.role = role
                session.add(user)
                audit.record(session, action="user.role_changed", entity_type="user", entity_id=user.id,
                             actor_label="cli", before={"role": "volunteer"}, after={"role": role.value})
            typer.echo(f"Created {user.email} ({role.value}), id {user.id}.")
    except DomainError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        database.dispose()


@cli.command()
def demo() -> None:
    """Load demo data (idempotent) and print the demo logins."""
    from app.demo import load_demo
    from app.main import load_training_content

    settings = get_settings()
    database = make_database(settings.database_url)
    try:
        context = load_demo(database, settings, load_training_content(settings))
    finally:
        database.dispose()
    typer.echo("Demo data loaded. Log in at " + settings.base_url + " with:")
    for line in context.notes:
        typer.echo("  " + line)


@cli.command("purge-evidence")
def purge_evidence(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete evidence files of listings closed longer ago than CYBERSPOTTER_EVIDENCE_RETENTION_DAYS.

    The worker does this once a day; run it by hand after lowering the retention period.
    """
    from app.models import utcnow
    from app.services import retention

    settings = get_settings()
    database = make_database(settings.database_url)
    try:
        with database.transaction() as session:
            if dry_run:
                count = retention.count_expired_evidence(session, settings=settings, now=utcnow())
                typer.echo(f"{count} evidence item(s) would be deleted "
                           f"(listings closed more than {settings.evidence_retention_days} days ago).")
                return
            result = retention.purge(session, settings=settings, now=utcnow())
    finally:
        database.dispose()
    typer.echo(f"Deleted {result.evidence} evidence item(s) ({result.files_deleted} file(s)) of listings closed "
               f"more than {settings.evidence_retention_days} days ago.")


@cli.command("seed-bench")
def seed_bench(
    listings: Annotated[int, typer.Option(min=1, help="How many listings to add.")],
    reports_per_listing: Annotated[float, typer.Option(min=1.0, help="Reports per listing, on average.")] = 1.3,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed draws the same data.")] = 2026,
) -> None:
    """Fill the database fast with realistic listings and reports, for benchmarks (never production)."""
    from app.benchseed import BENCH_EXPERT_EMAIL, BENCH_PASSWORD
    from app.benchseed import seed as fill
    from app.main import load_training_content

    settings = get_settings()
    if settings.env == "production":
        raise typer.BadParameter("refusing to fill a production database with benchmark data")
    database = make_database(settings.database_url)
    try:
        result = fill(database, load_training_content(settings), listings=listings,
                      reports_per_listing=reports_per_listing, rng_seed=seed, progress=typer.echo)
    finally:
        database.dispose()
    statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(result.by_status.items()))
    typer.echo(f"Added {result.listings:,} listings ({statuses}), {result.reports:,} reports, "
               f"{result.users:,} users in {result.seconds:.1f} s.")
    typer.echo(f"Benchmark expert: {BENCH_EXPERT_EMAIL} / {BENCH_PASSWORD}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
