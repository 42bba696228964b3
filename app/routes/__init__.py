"""Routers, one module per audience, each guarded once at the router."""

from __future__ import annotations

from fastapi import FastAPI


def include_routers(app: FastAPI) -> None:
    from app.routes import (
        account,
        admin,
        admin_audit,
        admin_code_words,
        api,
        evidence_links,
        my_reports,
        ops,
        public,
        reporting,
        review,
    )
    from app.routes import admin_companies as admin_company_pages
    from app.routes import admin_training as admin_training_pages
    from app.routes import dashboard as dashboard_pages
    from app.routes import dsa_report as dsa_report_pages
    from app.routes import exports as export_pages
    from app.routes import leaderboard as leaderboard_pages
    from app.routes import privacy as privacy_pages
    from app.routes import rounds as round_pages
    from app.routes import training as training_pages

    app.include_router(ops.router)
    app.include_router(api.router)
    app.include_router(public.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    app.include_router(dashboard_pages.router)
    app.include_router(export_pages.router)
    app.include_router(dsa_report_pages.router)
    app.include_router(round_pages.router)
    app.include_router(leaderboard_pages.router)
    app.include_router(privacy_pages.router)
    app.include_router(training_pages.router)
    app.include_router(admin_training_pages.router)
    app.include_router(evidence_links.router)
    app.include_router(reporting.router)
    app.include_router(my_reports.router)
    app.include_router(review.router)
    app.include_router(admin_audit.router)
    app.include_router(admin_code_words.router)
    app.include_router(admin_company_pages.router)
