"""The consent credential's shape, parsing and the custodian's checks, without agents."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta

import pytest

from controllers.challenges import ChallengeRefused, ChallengesExhausted
from controllers.consent import (
    AgentVerdict,
    ChallengeBook,
    ConsentRejected,
    MalformedConsent,
    check_consent_presentation,
    check_revocation_presentation,
    load_or_create,
)
from credentials import ConsentTerms, Period, consent_credential, parse_consent
from credentials import vocabulary as v
from custody.errors import KeyFormatError
from custody.keys import generate_private_key, load_private_key, public_multibase

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
CUSTOMER = "did:key:z6MkCustomer"
AUDITOR = "did:key:z6MkAuditor"
OK = AgentVerdict(presentation_ok=True, credentials_ok=True)


CUSTOMER_KEY = public_multibase(generate_private_key().public_key())


def terms(**changes) -> ConsentTerms:
    values = dict(
        utility_id="14328",
        account="ACCT-1",
        period=Period(date(2024, 1, 1), date(2024, 12, 31)),
        scope=frozenset({v.SCOPE_USAGE}),
        purpose="Scope 2 audit",
        expires=NOW + timedelta(days=30),
        key_agreement=CUSTOMER_KEY,
    )
    values.update(changes)
    return ConsentTerms(**values)


def vp(credential: dict, *, signer: str = AUDITOR, challenge: str = "c1", purpose: str = "authentication") -> dict:
    return {
        "@context": [v.CREDENTIALS_V1],
        "type": ["VerifiablePresentation"],
        "holder": signer,
        "verifiableCredential": [credential],
        "proof": {"challenge": challenge, "verificationMethod": f"{signer}#key", "proofPurpose": purpose},
    }


def consent(**changes) -> dict:
    issuer = changes.pop("issuer", CUSTOMER)
    return consent_credential(
        consent_id="urn:uuid:1", issuer=issuer, subject=AUDITOR, terms=terms(**changes), issued=NOW
    )


def check(presentation: dict, verdict: AgentVerdict = OK, *, bound: str | None = CUSTOMER, revoked=False, now=NOW):
    return check_consent_presentation(
        presentation,
        verdict,
        utility_id="14328",
        bound_did=lambda account: bound if account == "ACCT-1" else "did:key:z6MkOther",
        is_revoked=lambda _id: revoked,
        now=now,
    )


def test_credential_round_trips_through_parse():
    parsed = parse_consent(consent())
    assert parsed.issuer == CUSTOMER and parsed.subject == AUDITOR
    assert parsed.terms == terms()
    assert consent()["@context"][1] == v.PROJECT_CONTEXT


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda c: c["credentialSubject"].pop("accountId"), "accountId"),
        (lambda c: c["credentialSubject"].update(periodEnd="2023-01-01"), "before it starts"),
        (lambda c: c["credentialSubject"].update(scope=["everything"]), "scope"),
        (lambda c: c["credentialSubject"].update(consentExpires="2025-01-01T00:00:00"), "time zone"),
        (lambda c: c.update(type=["VerifiableCredential"]), v.CONSENT_TYPE),
    ],
)
def test_malformed_consents_name_the_problem(mutate, reason):
    credential = consent()
    mutate(credential)
    with pytest.raises(MalformedConsent, match=reason):
        parse_consent(credential)


def test_valid_presentation_passes():
    assert check(vp(consent())).terms.account == "ACCT-1"


@pytest.mark.parametrize(
    "presentation, kwargs, reason",
    [
        (vp(consent()), dict(verdict=AgentVerdict(False, True)), "presentation proof invalid"),
        (vp(consent()), dict(verdict=AgentVerdict(True, False)), "consent proof invalid"),
        (vp(consent(), purpose="assertionMethod"), {}, "proof purpose"),
        (vp(consent(), signer="did:key:z6MkThief"), {}, "presenter is not the consent's subject"),
        (vp(consent(utility_id="999")), {}, "another utility"),
        (vp(consent(account="ACCT-2")), {}, "not the DID bound to this account"),
        (vp(consent(issuer="did:key:z6MkStranger")), {}, "not the DID bound to this account"),
        (vp(consent()), dict(bound=None), "not the DID bound to this account"),
        (vp(consent()), dict(now=NOW + timedelta(days=31)), "consent expired"),
        (vp(consent()), dict(revoked=True), "consent revoked"),
    ],
)
def test_each_rejection_has_its_reason(presentation, kwargs, reason):
    verdict = kwargs.pop("verdict", OK)
    with pytest.raises(ConsentRejected, match=reason):
        check(presentation, verdict, **kwargs)


def test_presentation_needs_exactly_one_consent():
    presentation = vp(consent())
    presentation["verifiableCredential"].append(consent())
    with pytest.raises(MalformedConsent, match="exactly one"):
        check(presentation)


def test_only_the_issuer_can_revoke():
    bound = lambda account: CUSTOMER  # noqa: E731
    assert check_revocation_presentation(vp(consent(), signer=CUSTOMER), OK, bound_did=bound).consent_id == "urn:uuid:1"
    with pytest.raises(ConsentRejected, match="only the consent's issuer"):
        check_revocation_presentation(vp(consent(), signer=AUDITOR), OK, bound_did=bound)


def test_challenges_are_single_use_and_expire():
    book = ChallengeBook(ttl=timedelta(minutes=5))
    first, _ = book.issue(NOW)
    book.consume(first, NOW)
    with pytest.raises(ChallengeRefused, match="already used"):
        book.consume(first, NOW)
    late, _ = book.issue(NOW)
    with pytest.raises(ChallengeRefused, match="expired"):
        book.consume(late, NOW + timedelta(minutes=6))
    with pytest.raises(ChallengeRefused, match="unknown"):
        book.consume("made-up", NOW)


def test_open_challenges_are_bounded():
    book = ChallengeBook(ttl=timedelta(minutes=5), max_open=2)
    book.issue(NOW)
    book.issue(NOW)
    with pytest.raises(ChallengesExhausted):
        book.issue(NOW)
    assert book.issue(NOW + timedelta(minutes=11))  # the expired ones were let go


def test_key_agreement_key_is_private_and_stable(tmp_path):
    path = tmp_path / "keys" / "x25519.key"
    key = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path).public_multibase == key.public_multibase
    assert key.public_multibase.startswith("z6LS")  # multicodec x25519-pub in base58btc
    # The same file decrypts bills: custody reads it as the matching private key.
    assert public_multibase(load_private_key(path).public_key()) == key.public_multibase
    os.chmod(path, 0o644)
    with pytest.raises(KeyFormatError, match="0600"):
        load_or_create(path)


def test_an_issued_consent_must_name_a_real_x25519_key():
    assert parse_consent(consent()).key_agreement_key() is not None
    ed25519_key = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"  # a did:key Ed25519 key, wrong type
    with pytest.raises(MalformedConsent, match="X25519"):
        parse_consent(consent(key_agreement=ed25519_key)).key_agreement_key()
    with pytest.raises(MalformedConsent, match="keyAgreementPublicKeyMultibase"):
        parse_consent(consent(key_agreement="z6LSabc")).key_agreement_key()
