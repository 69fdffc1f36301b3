"""Imports every table, so metadata is complete for Alembic and the app."""

from liaison.audit.models import AuditLog
from liaison.auth.models import ApiToken, LoginThrottle, PasswordHistory, User, UserSession
from liaison.org.models import Enterprise, Officer, Station

__all__ = [
    "ApiToken",
    "AuditLog",
    "Enterprise",
    "LoginThrottle",
    "Officer",
    "PasswordHistory",
    "Station",
    "User",
    "UserSession",
]

import liaison.audit.service  # noqa: F401  (registers the audit flush listener)
