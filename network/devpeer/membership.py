"""Who is who on the channel: verifies serialized identities against each org's MSP and checks
their signatures, caching parsed certificates by their bytes (verification dominates the cost)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.msp import identities_pb2

from network.devpeer.policy import Signer
from network.identity import verify_with_public_key

__all__ = ["Membership", "MemberError", "Member", "WRITER_ROLES"]

# With NodeOUs, a channel's Writers are admins and clients; Readers are any member.
WRITER_ROLES = frozenset({"admin", "client"})
_CACHE_LIMIT = 10_000
_VERIFIED_LIMIT = 20_000


class MemberError(ValueError):
    """The identity is not a valid member of a channel org; the message says why."""


@dataclass(frozen=True)
class Member:
    msp_id: str
    role: str | None
    public_key: ec.EllipticCurvePublicKey

    @property
    def signer(self) -> Signer:
        return Signer(self.msp_id, self.role)

    def verify(self, message: bytes, signature: bytes) -> bool:
        return verify_with_public_key(self.public_key, message, signature)


class Membership:
    """`validators` maps MSP id -> object with `validate(cert_pem) -> role | None` that raises on
    an untrusted certificate (network.msp.OrgMsp)."""

    def __init__(self, validators: Mapping[str, object]) -> None:
        self._validators = dict(validators)
        self._members: dict[bytes, Member | MemberError] = {}
        # Digests of (identity, message, signature) already verified and worth remembering: the
        # orderer checks an envelope at Submit and the committer meets the very same bytes again.
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._verified_lock = threading.Lock()  # Submit (event loop) and the committer thread share it

    @property
    def msp_ids(self) -> list[str]:
        return list(self._validators)

    def member(self, serialized: bytes) -> Member:
        """The member behind a serialized identity; raises MemberError (cached, too)."""
        cached = self._members.get(serialized)
        if cached is None:
            cached = self._resolve(serialized)
            if len(self._members) >= _CACHE_LIMIT:
                self._members.clear()
            self._members[serialized] = cached
        if isinstance(cached, MemberError):
            raise cached
        return cached

    def _resolve(self, serialized: bytes) -> Member | MemberError:
        identity = identities_pb2.SerializedIdentity()
        try:
            identity.ParseFromString(serialized)
        except Exception:  # noqa: BLE001 - any decode failure means "not an identity"
            return MemberError("the identity is not a serialized msp identity")
        validator = self._validators.get(identity.mspid)
        if validator is None:
            return MemberError(f"MSP {identity.mspid!r} is not a member of the channel")
        try:
            certificate = x509.load_pem_x509_certificate(identity.id_bytes)
        except ValueError:
            return MemberError(f"the {identity.mspid} identity is not a PEM X.509 certificate")
        public_key = certificate.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            return MemberError(f"the {identity.mspid} identity does not hold an ECDSA key")
        try:
            role = validator.validate(identity.id_bytes)
        except Exception as exc:  # noqa: BLE001 - MspError and certificate parse errors alike
            return MemberError(f"the {identity.mspid} identity is not valid: {exc}")
        return Member(identity.mspid, role, public_key)

    def verified(self, serialized: bytes, message: bytes, signature: bytes, *, remember: bool = False) -> Member:
        """The member, once its signature over `message` checks out. With `remember`, a later call
        with the identical identity, message and signature reuses this verification (ECDSA
        verification is deterministic: the same bytes give the same answer); failures never are."""
        member = self.member(serialized)
        digest = _digest(serialized, message, signature)
        if digest in self._verified:
            return member
        if not member.verify(message, signature):
            raise MemberError(f"the {member.msp_id} signature is invalid")
        if remember:
            with self._verified_lock:
                self._verified[digest] = None
                if len(self._verified) > _VERIFIED_LIMIT:
                    self._verified.popitem(last=False)
        return member


def _digest(serialized: bytes, message: bytes, signature: bytes) -> bytes:
    # Length-prefixed so no two different triples share an encoding.
    hasher = hashlib.sha256()
    for part in (serialized, message, signature):
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.digest()
