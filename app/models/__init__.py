"""All tables. Importing this package registers every table on `SQLModel.metadata`."""

from app.models.accounts import LoginFailure, Role, User, UserSession
from app.models.audit import AuditEntry
from app.models.base import attach_written, column_values
from app.models.listings import (
    CodeWordProposal,
    Confidence,
    Evidence,
    Listing,
    ListingStatus,
    Report,
    ReviewAnswer,
    ReviewQuestion,
)
from app.models.referrals import (
    Company,
    CompanyDomain,
    CompanyPlatform,
    DeliveryAttempt,
    OutboxMessage,
    Referral,
    WebhookSecret,
)
from app.models.rounds import Round, RoundEnrolment
from app.models.training import LessonProgress, QuizAttempt
from app.models.types import UTCDateTime, utcnow

__all__ = [
    "AuditEntry",
    "CodeWordProposal",
    "Company",
    "CompanyDomain",
    "CompanyPlatform",
    "Confidence",
    "DeliveryAttempt",
    "Evidence",
    "LessonProgress",
    "Listing",
    "ListingStatus",
    "LoginFailure",
    "OutboxMessage",
    "QuizAttempt",
    "Referral",
    "Report",
    "ReviewAnswer",
    "ReviewQuestion",
    "Role",
    "Round",
    "RoundEnrolment",
    "UTCDateTime",
    "User",
    "UserSession",
    "WebhookSecret",
    "attach_written",
    "column_values",
    "utcnow",
]
