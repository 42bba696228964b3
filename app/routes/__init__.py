"""Routers, one module per audience, each guarded once at the router."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from app.routes import (
        account,
        admin,
        admin_audit,
        admin_code_words,
        admin_companies,
        admin_training,
        api,
        dashboard,
        dsa_report,
        evidence_links,
        exports,
        leaderboard,
        my_reports,
        ops,
        privacy,
        public,
        reporting,
        review,
        rounds,
        training,
    )

    # Order matters only where paths overlap: the JSON API and fixed pages come first.
    for module in (
        ops, api, public, account,
        training, reporting, my_reports, evidence_links, privacy, rounds, leaderboard,
        review, dashboard, exports, dsa_report,
        admin, admin_training, admin_audit, admin_code_words, admin_companies,
    ):
        app.include_router(module.router)
