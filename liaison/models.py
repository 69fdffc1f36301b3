"""Imports every table, so metadata is complete for Alembic and the app."""

from liaison.attachments.models import Attachment, AttachmentBlob
from liaison.audit.models import AuditLog
from liaison.auth.models import ApiToken, LoginThrottle, PasswordHistory, User, UserSession
from liaison.desk.models import CalendarDay, RequestEvent, ServiceLevel, ServiceRequest
from liaison.disputes.models import Dispute, DisputeFollowUp, DisputeParty
from liaison.enterprises.models import Enterprise, EnterpriseContact
from liaison.hazards.models import Hazard, HazardEvent
from liaison.ledger.models import LedgerUpload
from liaison.notify.models import (
    Delivery,
    DutyRobot,
    Notification,
    NotifySettings,
    Preference,
    Reminder,
)
from liaison.org.models import Absence, Officer, Station
from liaison.projects.models import Assignment, Project, Visit
from liaison.recoveries.models import Recovery

__all__ = [
    "Absence",
    "ApiToken",
    "Assignment",
    "Attachment",
    "AttachmentBlob",
    "AuditLog",
    "CalendarDay",
    "Delivery",
    "Dispute",
    "DisputeFollowUp",
    "DisputeParty",
    "DutyRobot",
    "Enterprise",
    "EnterpriseContact",
    "Hazard",
    "HazardEvent",
    "LedgerUpload",
    "LoginThrottle",
    "Notification",
    "NotifySettings",
    "Officer",
    "PasswordHistory",
    "Preference",
    "Project",
    "Recovery",
    "Reminder",
    "RequestEvent",
    "ServiceLevel",
    "ServiceRequest",
    "Station",
    "User",
    "UserSession",
    "Visit",
]

import liaison.audit.service  # noqa: F401  (registers the audit flush listener)
