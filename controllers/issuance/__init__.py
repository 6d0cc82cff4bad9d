"""The auditor controller's second half: consented bills become anchored records and credentials.

    issuer = EmissionsIssuer(IssuerSettings(auditor_did), admin, ledger_session, custody, store, recipients)
    credentials = await issuer.issue_bill(ConsentedBill(...))
    result = await issue_batch(issuer, bills, progress=ProgressBar(len(bills), "issuing"))
"""

from controllers.issuance.batch import BatchResult, issue_batch
from controllers.issuance.bill import ConsentedBill
from controllers.issuance.credential import (
    CREDENTIAL_TYPE,
    CREDENTIAL_TYPE_IRI,
    CredentialFormatError,
    EmissionsClaims,
    LedgerAnchor,
    credential_id_for,
    emissions_credential,
    read_emissions_credential,
)
from controllers.issuance.delivery import deliver_credential
from controllers.issuance.issuer import EmissionsIssuer, IssuanceError, IssuedCredential, IssuerSettings
from controllers.issuance.progress import ProgressBar
from controllers.issuance.stages import STAGES, StageClock

__all__ = [
    "BatchResult",
    "CREDENTIAL_TYPE",
    "CREDENTIAL_TYPE_IRI",
    "ConsentedBill",
    "CredentialFormatError",
    "EmissionsClaims",
    "EmissionsIssuer",
    "IssuanceError",
    "IssuedCredential",
    "IssuerSettings",
    "LedgerAnchor",
    "ProgressBar",
    "STAGES",
    "StageClock",
    "credential_id_for",
    "deliver_credential",
    "emissions_credential",
    "issue_batch",
    "read_emissions_credential",
]
