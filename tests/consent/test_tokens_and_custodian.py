"""Access tokens and the custodian's ESPI paths, without agents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from controllers.consent import AccessDenied, DataRequest, authorise, mint
from credentials import Period, parse_consent
from credentials import vocabulary as v
from controllers.consent.tokens import digest
from greenbutton import electricity_usage_by_period, parse_bytes
from controllers.utility import custodian
from tests.consent.test_consent_model import NOW, consent

SID = "Ab3_" * 5
YEAR = Period(date(2024, 1, 1), date(2024, 12, 31))


def token():
    return mint(parse_consent(consent()), NOW)


def test_token_is_opaque_and_stored_by_digest():
    bearer, stored = token()
    assert len(bearer) >= 40 and stored.digest == digest(bearer) and bearer not in repr(stored)
    assert stored.expires == NOW + timedelta(minutes=15)


def test_token_never_outlives_its_consent():
    _, stored = mint(parse_consent(consent(expires=NOW + timedelta(minutes=1))), NOW)
    assert stored.expires == NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    "request_, now, revoked, reason",
    [
        (DataRequest("ACCT-2", v.SCOPE_USAGE, YEAR), NOW, False, "does not cover this subscription"),
        (DataRequest("ACCT-1", v.SCOPE_BILLING, YEAR), NOW, False, "outside the consented scope"),
        (DataRequest("ACCT-1", v.SCOPE_USAGE, Period(date(2023, 12, 1), date(2024, 1, 31))), NOW, False, "outside the consented period"),
        (DataRequest("ACCT-1", v.SCOPE_USAGE, YEAR), NOW + timedelta(hours=1), False, "expired"),
        (DataRequest("ACCT-1", v.SCOPE_USAGE, YEAR), NOW, True, "consent revoked"),
    ],
)
def test_requests_outside_the_grant_are_refused(request_, now, revoked, reason):
    _, stored = token()
    with pytest.raises(AccessDenied, match=reason):
        authorise(stored, request_, now=now, revoked=revoked)


def test_request_inside_the_grant_passes():
    _, stored = token()
    authorise(stored, DataRequest("ACCT-1", v.SCOPE_USAGE, Period(date(2024, 3, 1), date(2024, 3, 31))), now=NOW, revoked=False)


@pytest.mark.parametrize(
    "tail, batch, kinds",
    [
        (f"Batch/Subscription/{SID}", True, set()),
        (f"Subscription/{SID}/UsagePoint", False, set()),
        (f"Subscription/{SID}/UsagePoint/1/MeterReading/1/IntervalBlock", False, {v.SCOPE_USAGE}),
        (f"Subscription/{SID}/UsagePoint/1/ElectricPowerUsageSummary/2", False, {v.SCOPE_BILLING}),
    ],
)
def test_paths_name_their_scope(tail, batch, kinds):
    path = custodian.parse_path(tail)
    assert path.subscription_id == SID and path.batch is batch and path.kinds == kinds


@pytest.mark.parametrize("tail", ["Subscription/short/UsagePoint", f"Subscription/{SID}/Secrets", f"Batch/Subscription/{SID}/UsagePoint"])
def test_unknown_paths_are_refused(tail):
    with pytest.raises(custodian.UnknownResource):
        custodian.parse_path(tail)


def test_feeds_are_deterministic_per_account_and_keyed():
    assert custodian.feed_seed(b"k", "A") == custodian.feed_seed(b"k", "A")
    assert custodian.feed_seed(b"k", "A") != custodian.feed_seed(b"k", "B")
    assert custodian.feed_seed(b"k", "A") != custodian.feed_seed(b"other", "A")


def test_batch_is_parseable_links_are_opaque_and_scope_filters():
    period = Period(date(2024, 1, 1), date(2024, 2, 29))
    path = custodian.parse_path(f"Batch/Subscription/{SID}")
    usage = custodian.render(path, seed=7, period=period, base_url="http://h", scope=frozenset({v.SCOPE_USAGE}))
    both = custodian.render(path, seed=7, period=period, base_url="http://h", scope=v.SCOPES)
    assert f"http://h/espi/1_1/resource/Subscription/{SID}/UsagePoint/1".encode() in usage
    assert b"utility.example" not in usage and b"espi-entry/ElectricPowerUsageSummary" not in usage
    assert b"espi-entry/ElectricPowerUsageSummary" in both
    months = electricity_usage_by_period(parse_bytes(usage))
    assert len(months) == 2 and all(m.kwh > 0 for m in months)


def test_collection_path_lists_only_its_members():
    period = Period(date(2024, 1, 1), date(2024, 1, 3))
    path = custodian.parse_path(f"Subscription/{SID}/UsagePoint/1/MeterReading/1/IntervalBlock")
    body = custodian.render(path, seed=7, period=period, base_url="http://h", scope=v.SCOPES)
    assert body.count(b"<entry>") == 3 and b"espi-entry/UsagePoint" not in body


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (None, None, YEAR),
        ("2024-02-01", "2024-03-01", Period(date(2024, 2, 1), date(2024, 2, 29))),
        ("2024-02-01T00:00:00Z", "2024-03-01T06:00:00Z", Period(date(2024, 2, 1), date(2024, 3, 1))),
    ],
)
def test_requested_period(lo, hi, expected):
    assert custodian.requested_period(lo, hi, YEAR) == expected


def test_requested_period_is_bounded():
    with pytest.raises(ValueError, match="at most"):
        custodian.requested_period("2020-01-01", "2024-01-01", YEAR)
