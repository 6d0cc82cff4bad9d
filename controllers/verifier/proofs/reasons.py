"""The sentences a proof check answers with: fixed, neutral, never quoting the document.

Fixed, so a refusal reads the same whatever answers (or not) at an address a document names.
"""

from __future__ import annotations

ISSUER_NOT_CHECKABLE = "the issuer is not a DID this verifier can check against the ledger's auditor registry"
HOLDER_NOT_CHECKABLE = "the presentation is not signed with a did:key this verifier can check"
DID_NOT_CHECKABLE = "the proof names a DID this verifier cannot check"
CREDENTIAL_CONTEXT = "the credential uses a JSON-LD context this verifier does not know"
PRESENTATION_CONTEXT = "the presentation or a credential in it uses a JSON-LD context this verifier does not know"
MALFORMED_CREDENTIAL = "the credential is not a well-formed verifiable credential"
MALFORMED_PRESENTATION = "the presentation is not a well-formed verifiable presentation"
NO_CREDENTIAL_PROOF = "the credential carries no proof"
NO_PRESENTATION_PROOF = "the presentation carries no proof"
NOT_ISSUER_KEY = "the proof's verification method is not the issuer's own key"
ALTERED = "the signature does not verify: the document was altered or signed by another key"
DROPPED = "the document has properties its JSON-LD contexts do not define"
BAD_SIGNATURE_VALUE = "the proof's signature value is malformed"
CHALLENGE = "the presentation was not signed for this challenge"
PURPOSE = "the proof was not made by the signer's key for this purpose"
NO_SUITE_PROOF = "the document has no Ed25519 proof for this purpose"
FAILED = "the proof does not verify"
CREDENTIAL_OK = "{suite} by the issuer verifies"
PRESENTATION_OK = "signed by the holder for this challenge, and every credential's proof by its issuer verifies"
