"""Ed25519 proof checks of credentials and presentations, in-process, bounded and offline.

Replaces asking the verifier's own ACA-Py agent (/vc/credentials/verify, /vc/presentations/verify).
That agent wedges under a few dozen concurrent checks (its JSON-LD document loader re-enters the
agent's one event loop through nest_asyncio, so concurrent checks nest inside each other and the
outermost cannot finish before every newer one has), and it resolves whatever DID a credential
names (did:web:127.0.0.1%3APORT opens a connection there).

    async with ProofChecker(workers=2) as checker:      # or: checker = ProofChecker(); await checker.start()
        result = await checker.credential(credential)    # ProofResult(ok, reason)
        result = await checker.presentation(presentation, challenge)

The checks are ACA-Py's own (`acapy_agent.vc.vc_ld.verify`, its Ed25519Signature2020 and
Ed25519Signature2018 suites, proof purposes and dropped-properties check), so a verdict agrees
with the agent's by construction; what is ours is small: an Ed25519 key that verifies with
`cryptography` instead of a wallet (keys.py), a closed offline document loader (documents.py:
the project's contexts and did:key documents, nothing else, no network), and the rule that a
proof's verification method is the signer's own did:key (verification.py). They run in
"spawn" worker processes (checker.py), so canonicalization never blocks the service's event
loop and ACA-Py's nest_asyncio patch never reaches it: this package imports no ACA-Py in the
service process.

Verdict or unavailable: the line is who failed.
- `ProofResult(False, reason)`: something about the document. Everything ACA-Py's verifiers
  report as not verified is one: a missing proof, a proofValue that is not multibase, a changed
  claim, properties the contexts do not define, a wrong challenge, malformed structure (the
  agent answers some of these with HTTP 400; it is still the document's fault). So are the
  refusals: an issuer or signer that is not an Ed25519 did:key, a JSON-LD context outside the
  served set; their reason is one fixed sentence, the same whatever answers at any address.
- `ProofCheckUnavailable`: our machinery. A worker that died (it is replaced), a check not done
  within `deadline` seconds of the call (its worker is terminated and replaced if the check
  itself ran that long), our own code raising inside a worker (the loader or key beyond a
  refusal, the checks around ACA-Py's, a MemoryError anywhere), the checker closed.
  `ProofCheckBusy` (a subclass): `queue_limit` calls already wait for the `workers` running
  ones; it is raised at once, with `retry_after` seconds.
A caller's own error (a document that is not a Mapping, an empty challenge) raises TypeError or
ValueError.
"""

from controllers.verifier.proofs.checker import ProofChecker
from controllers.verifier.proofs.result import ProofCheckBusy, ProofCheckUnavailable, ProofResult

__all__ = ["ProofChecker", "ProofCheckBusy", "ProofCheckUnavailable", "ProofResult"]
