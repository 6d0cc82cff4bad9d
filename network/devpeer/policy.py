"""Endorsement policies: Fabric's signature-policy DSL plus the MAJORITY / ANY channel defaults.

`AND('Auditor1MSP.peer','Auditor2MSP.peer')`, `OR(...)`, `OutOf(n, ...)`, nested freely; roles are
member, peer, client, admin, orderer. "MAJORITY" and "ANY" stand for the channel's implicit-meta
Endorsement policy over each application org's `OR('<org>.peer')`, as configtx.yaml sets them up.

Evaluation follows Fabric's cauthdsl: each distinct signer satisfies at most one principal, and an
n-out-of gate commits the signers a satisfied branch consumed (greedy, no backtracking).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["PolicyError", "Principal", "OutOf", "Policy", "parse_policy", "Signer", "plan_orgs"]

ROLES = frozenset({"member", "peer", "client", "admin", "orderer"})


class PolicyError(ValueError):
    """A policy string that does not parse, or a policy no set of configured orgs can satisfy."""


@dataclass(frozen=True)
class Signer:
    """A verified signer as policies see it: its MSP and its NodeOU role."""

    msp_id: str
    role: str | None


@dataclass(frozen=True)
class Principal:
    msp_id: str
    role: str

    def matches(self, signer: Signer) -> bool:
        if signer.msp_id != self.msp_id or signer.role is None:
            return False
        # Fabric: an MSP "member" is any valid identity of that MSP, whatever its OU.
        return self.role == "member" or signer.role == self.role

    def __str__(self) -> str:
        return f"'{self.msp_id}.{self.role}'"


@dataclass(frozen=True)
class OutOf:
    n: int
    rules: tuple["Policy", ...]

    def __str__(self) -> str:
        inner = ",".join(str(rule) for rule in self.rules)
        return f"OutOf({self.n},{inner})"


Policy = Principal | OutOf


def _satisfied(policy: Policy, signers: Sequence[Signer], used: list[bool]) -> bool:
    if isinstance(policy, Principal):
        for index, signer in enumerate(signers):
            if not used[index] and policy.matches(signer):
                used[index] = True
                return True
        return False
    remaining = policy.n
    for rule in policy.rules:
        if remaining <= 0:
            break
        trial = list(used)
        if _satisfied(rule, signers, trial):
            used[:] = trial
            remaining -= 1
    return remaining <= 0


def evaluate(policy: Policy, signers: Iterable[Signer]) -> bool:
    """True when the (deduplicated by caller) signers satisfy the policy."""
    signers = list(signers)
    return _satisfied(policy, signers, [False] * len(signers))


_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z]+)\s*\(|(?P<quoted>'[^']*'|\"[^\"]*\")|(?P<int>\d+)|(?P<punct>[,)]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _fail(self, why: str) -> PolicyError:
        return PolicyError(f"endorsement policy {self.text!r}: {why} at character {self.pos}")

    def _next(self) -> re.Match[str]:
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            raise self._fail("unexpected text")
        self.pos = match.end()
        return match

    def _expect(self, punct: str) -> None:
        match = self._next()
        if match.group("punct") != punct:
            raise self._fail(f"expected {punct!r}")

    def parse(self) -> Policy:
        policy = self._rule()
        if self.text[self.pos :].strip():
            raise self._fail("trailing text")
        return policy

    def _rule(self) -> Policy:
        match = self._next()
        if match.group("quoted"):
            return _principal(match.group("quoted")[1:-1], self.text)
        word = match.group("word")
        if word is None:
            raise self._fail("expected AND(, OR(, OutOf( or a quoted principal")
        gate = word.lower()
        if gate not in {"and", "or", "outof"}:
            raise self._fail(f"unknown gate {word!r}")
        n = None
        if gate == "outof":
            count = self._next()
            if count.group("int") is None:
                raise self._fail("OutOf needs a count first")
            n = int(count.group("int"))
            self._expect(",")
        rules = [self._rule()]
        while True:
            match = self._next()
            if match.group("punct") == ")":
                break
            if match.group("punct") != ",":
                raise self._fail("expected ',' or ')'")
            rules.append(self._rule())
        if gate == "and":
            n = len(rules)
        elif gate == "or":
            n = 1
        assert n is not None
        if not 1 <= n <= len(rules):
            raise self._fail(f"OutOf({n}, ...) with {len(rules)} rules can never be satisfied")
        return OutOf(n, tuple(rules))


def _principal(text: str, policy_text: str) -> Principal:
    msp_id, dot, role = text.rpartition(".")
    if not dot or not msp_id or role not in ROLES:
        raise PolicyError(
            f"endorsement policy {policy_text!r}: principal {text!r} must be 'MSPID.role' with role in {sorted(ROLES)}"
        )
    return Principal(msp_id, role)


def parse_policy(text: str, channel_orgs: Sequence[str]) -> Policy:
    """Parse a policy; MAJORITY and ANY expand over the channel's application orgs."""
    stripped = text.strip()
    keyword = stripped.upper()
    if keyword in {"MAJORITY", "ANY", "ALL"}:
        peers = tuple(Principal(msp, "peer") for msp in channel_orgs)
        n = {"MAJORITY": len(peers) // 2 + 1, "ANY": 1, "ALL": len(peers)}[keyword]
        return OutOf(n, peers)
    return _Parser(stripped).parse()


def principals(policy: Policy) -> set[Principal]:
    if isinstance(policy, Principal):
        return {policy}
    return set().union(*(principals(rule) for rule in policy.rules))


def plan_orgs(policy: Policy, orgs: Sequence[str], first: str | None = None) -> list[str]:
    """The smallest set of orgs whose peers satisfy the policy, preferring `first` and config order."""
    ordered = list(orgs)
    if first in ordered:
        ordered.remove(first)
        ordered.insert(0, first)
    for size in range(1, len(ordered) + 1):
        for combo in itertools.combinations(ordered, size):
            if evaluate(policy, [Signer(msp, "peer") for msp in combo]):
                return list(combo)
    raise PolicyError(f"no combination of the configured orgs {list(orgs)} satisfies the policy {policy}")
