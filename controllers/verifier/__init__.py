"""The verifier controller: asks for a UtilityEmissionsCredential over DIDComm, checks its proofs,
then checks it against the ledger (registered issuer, VALID transaction, detail hash, not
superseded) and answers with a verdict and its reasons.

    async with open_ledger(profile) as ledger, ProofChecker() as proofs:  # controllers.ledger, .proofs
        verifier = EmissionsVerifier(admin, ledger, proofs)
        verdict = await verifier.check_credential(credential)
"""

from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.request import PendingRequest, await_verdicts, emissions_definition, request_credential
from controllers.verifier.service import VerifierService, build_app
from controllers.verifier.verdict import ERROR, REJECTED, VERIFIED, Check, Verdict

__all__ = [
    "Check",
    "ERROR",
    "EmissionsVerifier",
    "PendingRequest",
    "REJECTED",
    "VERIFIED",
    "Verdict",
    "VerifierService",
    "await_verdicts",
    "build_app",
    "emissions_definition",
    "request_credential",
]
