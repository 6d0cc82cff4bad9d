"""The auditor controller's second half: consented bills become anchored records and credentials.

    issuer = EmissionsIssuer(IssuerSettings(auditor_did), admin, ledger_session, custody, store, recipients,
                             waiter=receiver.waiter)  # the WebhookReceiver of the auditor agent's webhooks
    credentials = await issuer.issue_bill(ConsentedBill(...))
    result = await issue_batch(issuer, bills, progress=ProgressBar(len(bills), "issuing"))
"""

from controllers.issuance.batch import BatchResult, issue_batch
from controllers.issuance.bill import ConsentedBill
from controllers.issuance.delivery import deliver_credential
from controllers.issuance.issuer import EmissionsIssuer, IssuanceError, IssuedCredential, IssuerSettings
from controllers.issuance.progress import ProgressBar
from controllers.issuance.stages import STAGES, StageClock

__all__ = [
    "BatchResult",
    "ConsentedBill",
    "EmissionsIssuer",
    "IssuanceError",
    "IssuedCredential",
    "IssuerSettings",
    "ProgressBar",
    "STAGES",
    "StageClock",
    "deliver_credential",
    "issue_batch",
]
