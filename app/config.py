"""Settings, read from the environment with the CYBERSPOTTER_ prefix (or a .env file)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "change-me", "development", "password", "cyberspotter"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CYBERSPOTTER_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/cyberspotter.db"
    secret_key: str = ""
    data_dir: Path = Path("./var")
    base_url: str = "http://127.0.0.1:8000"
    content_dir: Path = PROJECT_ROOT / "training_content"

    # Sessions and login throttling
    session_hours: int = 12
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15

    # Onboarding
    certification_months: int = 12
    quiz_cooldown_minutes: int = 10
    quiz_attempts_per_day: int = 5
    quiz_attempt_minutes: int = 60

    # Reporting
    reports_per_hour: int = 60
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_per_report: int = 5
    evidence_max_pixels: int = 40_000_000

    # Review
    claim_minutes: int = 30

    # Webhooks
    run_dispatcher: bool = True
    webhook_allow_private_targets: bool = False
    webhook_allow_http: bool = False
    webhook_concurrency: int = 32
    webhook_per_endpoint: int = 4
    webhook_disable_after_days: int = 5
    evidence_link_days: int = 7
    webhook_secret_grace_hours: int = 24  # the old secret keeps signing this long after a rotation
    webhook_lease_seconds: int = 60  # a claimed message is taken over when its worker is silent this long
    webhook_poll_seconds: float = 1.0  # how often an idle dispatcher looks for due messages
    webhook_shutdown_seconds: float = 20.0  # how long a stopping dispatcher lets sends in flight finish

    # Data protection
    evidence_retention_days: int = 730
    # Figures shown to volunteers about other people: smaller counts are shown as "fewer than N".
    public_min_count: int = 5

    # Programme figures
    referral_answer_days: int = 7  # a referral with no outcome after this many days is "unanswered"

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _secret_key_policy(self) -> Settings:
        if self.env == "production":
            key = self.secret_key
            if len(key) < MIN_SECRET_LENGTH or key.lower() in WEAK_SECRETS or len(set(key)) < 10:
                raise ValueError(
                    "CYBERSPOTTER_SECRET_KEY must be set to a random string of at least "
                    f"{MIN_SECRET_LENGTH} characters in production "
                    '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
        return self

    @cached_property
    def signing_key(self) -> str:
        """The secret for JWTs and CSRF tokens; in development kept under DATA_DIR."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production" or self.base_url.startswith("https://")

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def claim_duration(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)


def get_settings() -> Settings:
    return Settings()
