"""OpenID for Verifiable Credentials, for wallets that speak only that: the emissions credential
issued as an SD-JWT VC over OpenID4VCI (draft 13, pre-authorized code with a PIN) and presented
over OpenID4VP (draft 20, direct_post); the verifier's endpoints, which check presentations against
the ledger as the DIDComm verifier does, are `controllers.verifier.oid4vp`.

- `sd_jwt_vc`: the credential's claims (account and service point selectively disclosable), signed
  by the auditor's agent; a presentation read and checked (issuer, disclosures, key binding);
- `issuer`: the OpenID4VCI endpoints and the offers they serve (`CredentialIssuer`);
- `jose`, `store`: EdDSA JWS reading and opaque short-lived ids.
"""

from controllers.oid4vc.issuer import CONFIGURATION_ID, CredentialIssuer, CredentialOffer
from controllers.oid4vc.sd_jwt_vc import FORMAT, SELECTIVE, VCT, PresentationRefused, sd_jwt_claims, verify_presentation

__all__ = [
    "CONFIGURATION_ID",
    "CredentialIssuer",
    "CredentialOffer",
    "FORMAT",
    "PresentationRefused",
    "SELECTIVE",
    "VCT",
    "sd_jwt_claims",
    "verify_presentation",
]
