"""All models, imported so that Base.metadata knows every table."""

from service.db import Base
from service.models.audit import AuditEvent
from service.models.complaints import (
    AnonymousSupport,
    CannedAnswer,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintSupporter,
    Open311Key,
)
from service.models.jobs import JobIntent
from service.models.notifications import Broadcast, Delivery, Device, Notification
from service.models.photos import Photo, Upload
from service.models.reference import Desa, Kecamatan, Opd
from service.models.reports import Report, ReportComment
from service.models.skm import ServiceUnit, SkmResponse
from service.models.users import ActivationCode, RefreshToken, User
from service.models.visits import Finding, FindingEvent, Program, Visit
from service.models.web_sessions import WebSession

__all__ = [
    "ActivationCode",
    "AnonymousSupport",
    "AuditEvent",
    "Base",
    "Broadcast",
    "CannedAnswer",
    "Complaint",
    "ComplaintCategory",
    "ComplaintEvent",
    "ComplaintSupporter",
    "Delivery",
    "Desa",
    "Device",
    "Finding",
    "FindingEvent",
    "JobIntent",
    "Kecamatan",
    "Notification",
    "Opd",
    "Open311Key",
    "Photo",
    "Program",
    "RefreshToken",
    "Report",
    "ReportComment",
    "ServiceUnit",
    "SkmResponse",
    "Upload",
    "User",
    "Visit",
    "WebSession",
]
