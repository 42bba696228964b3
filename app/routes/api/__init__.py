"""The JSON API under /api/v1: versioned, documented at /docs, the contract in design/api.md."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordBearer

from app.routes.api import admin_review as admin_review_api
from app.routes.api import admin_users, auth, me
from app.routes.api import companies as companies_api
from app.routes.api import company as company_api
from app.routes.api import deliveries as deliveries_api
from app.routes.api import evidence as evidence_api
from app.routes.api import exports as exports_api
from app.routes.api import platforms as platforms_api
from app.routes.api import privacy as privacy_api
from app.routes.api import reports as reports_api
from app.routes.api import review as review_api
from app.routes.api import rounds as rounds_api
from app.routes.api import species as species_api
from app.routes.api import stats as stats_api
from app.routes.api import training as training_api

# Declares the Bearer scheme in the OpenAPI document; the check itself lives in app.deps.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(oauth2_scheme)])
router.include_router(auth.router)
router.include_router(me.router)
router.include_router(admin_users.router)
router.include_router(stats_api.router)
router.include_router(exports_api.router)
router.include_router(rounds_api.router)
router.include_router(rounds_api.admin_router)
router.include_router(privacy_api.router)
router.include_router(species_api.router)
router.include_router(training_api.router)
router.include_router(training_api.admin_router)
router.include_router(company_api.router)
router.include_router(companies_api.router)
router.include_router(deliveries_api.router)
router.include_router(reports_api.router)
router.include_router(evidence_api.router)
router.include_router(platforms_api.router)
router.include_router(review_api.router)
router.include_router(admin_review_api.router)
