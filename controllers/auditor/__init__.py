"""The auditor's service: each audit from invitation to the credentials the customer's wallet
stored (`AuditManager`, its record and states in `record.py`), the operator's API and page
(`service.py`), and reading bills at the utility under consent (`utility_access.py`)."""

from controllers.auditor.manager import AuditManager, AuditorConfig
from controllers.auditor.record import AuditRecord, AuditState, PeriodStep
from controllers.auditor.request import AuditRequest
from controllers.auditor.service import build_app
from controllers.auditor.utility_access import UtilityAccess, UtilityRefused

__all__ = ["AuditManager", "AuditRecord", "AuditRequest", "AuditState", "AuditorConfig", "PeriodStep",
           "UtilityAccess", "UtilityRefused", "build_app"]
