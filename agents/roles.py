"""What each party's agent may do on its own, and why.

An ACA-Py auto-flag turns a protocol step into something nobody decides. Each role gets only the
flags whose step carries no decision of a person or a policy; every other step waits for its
controller (the controllers in controllers/ then call the admin API). Flags left out on purpose are
listed too, so a reader sees that their absence is a choice.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Flag", "Role", "ROLES", "ROLE_NAMES", "role"]


@dataclass(frozen=True)
class Flag:
    arg: str
    reason: str


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    flags: tuple[Flag, ...]
    # Flags deliberately NOT set: (flag, the decision a controller keeps).
    withheld: tuple[Flag, ...] = ()
    # Hosts many holders, each in a sub-wallet of its own (ACA-Py multitenancy), instead of being
    # one party's wallet.
    multitenant: bool = False

    @property
    def args(self) -> tuple[str, ...]:
        return tuple(f.arg for f in self.flags)


_ACCEPT_REQUESTS = Flag(
    "--auto-accept-requests",
    "the DID Exchange request answers an invitation this agent's controller chose to create; the "
    "decision was taken when the invitation was made",
)
_VERIFY = Flag(
    "--auto-verify-presentation",
    "checking proofs has no side effect; the controller still decides what a verified result allows",
)
_STORE = Flag(
    "--auto-store-credential",
    "the credential arrives only because this agent's controller requested it; storing is mechanical",
)
_NO_ISSUE = Flag(
    "--auto-respond-credential-request",
    "the controller checks the requester's holder_did (the DID being bound) before issuing",
)
_NO_OFFER = Flag(
    "--auto-respond-credential-offer",
    "the controller picks the holder DID (send-request holder_did) the credential is bound to",
)
_NO_PRESENT = Flag(
    "--auto-respond-presentation-request",
    "auto-respond discloses every matching credential; the controller picks which to show",
)
_NO_INVITES = Flag(
    "--auto-accept-invites",
    "receiving an invitation is the controller's call, made per invitation (auto_accept=true)",
)

ROLES: tuple[Role, ...] = (
    Role(
        "utility",
        "Utility",
        flags=(_ACCEPT_REQUESTS,),
        # Issuing the account credential binds an account to a DID: the controller checks the
        # request against the onboarding it started before calling issue.
        withheld=(_NO_ISSUE, _NO_INVITES),
    ),
    Role(
        "customer",
        "Customer",
        flags=(_STORE,),
        # Every customer has a sub-wallet of its own: its own DIDs, keys and credentials.
        multitenant=True,
        # The customer's agent never answers anything by itself: consent is issued only after the
        # person approves, presentations show only what the person picks, connections only to
        # invitations the person accepted.
        withheld=(
            Flag("--auto-accept-requests", "a person decides whom the wallet connects to"),
            _NO_INVITES,
            _NO_OFFER,
            Flag("--auto-respond-credential-proposal", "a consent proposal is approved or declined by the person"),
            _NO_ISSUE,
            _NO_PRESENT,
        ),
    ),
    Role(
        "auditor",
        "Auditor",
        flags=(_ACCEPT_REQUESTS, _VERIFY, _STORE),
        withheld=(_NO_ISSUE, _NO_OFFER, _NO_PRESENT, _NO_INVITES),
    ),
    Role(
        "verifier",
        "Verifier",
        flags=(_ACCEPT_REQUESTS, _VERIFY),
        withheld=(_NO_INVITES,),
    ),
)

ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in ROLES)


def role(name: str) -> Role:
    for r in ROLES:
        if r.name == name:
            return r
    raise ValueError(f"unknown agent role {name!r}; expected one of {', '.join(ROLE_NAMES)}")
