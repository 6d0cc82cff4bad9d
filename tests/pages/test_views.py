"""Held credentials shaped for the pages: grouping, ordering, totals, re-issues, equal reasons."""

from __future__ import annotations

import copy
from decimal import Decimal

from controllers.customer import views
from tests.pages.builders import account_vc, consent_record, monthly_vc, year_of_vcs


def test_rows_are_grouped_by_account_and_year_newest_first_with_exact_totals():
    held = year_of_vcs(2023, range(10, 13)) + year_of_vcs(2024) + [account_vc()] + \
        year_of_vcs(2024, range(1, 3), account="ACCT-2")
    groups = views.group_rows(held)
    assert [(g.account, g.year) for g in groups] == [("ACCT-1", 2024), ("ACCT-2", 2024), ("ACCT-1", 2023)]
    acct_2024 = groups[0]
    assert [r.month for r in acct_2024.rows] == [f"2024-{m:02d}" for m in range(12, 0, -1)]
    assert [p.label for p in acct_2024.points] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert acct_2024.total_kwh == sum(Decimal(500 + 10 * m) for m in range(1, 13)) == Decimal(6780)
    assert acct_2024.total_location == sum(r.tco2e_location for r in acct_2024.rows)
    assert acct_2024.total_location == sum(
        (Decimal(500 + 10 * m) * Decimal("0.00019504")).quantize(Decimal("0.000001")) for m in range(1, 13))
    assert acct_2024.superseded == 0 and acct_2024.months == 12
    assert groups[2].rows[0].period_label == "December 2023"


def test_a_reissued_period_shows_the_newest_issue_only():
    first = monthly_vc(2024, 3, "600", "0.117024", recorded_at="2024-04-05T10:00:00Z")
    reissue = monthly_vc(2024, 3, "610", "0.118974", recorded_at="2024-05-01T09:00:00Z")
    other = monthly_vc(2024, 4, "500", "0.09752")
    [group] = views.group_rows([first, other, reissue, copy.deepcopy(reissue)])  # the same credential twice too
    assert group.superseded == 1
    assert [(r.month, r.kwh) for r in group.rows] == [("2024-04", Decimal(500)), ("2024-03", Decimal(610))]
    assert group.total_kwh == Decimal(1110)


def test_different_service_points_are_not_reissues():
    a = monthly_vc(2024, 3, "600", "0.117024", service_point="SP-1")
    b = monthly_vc(2024, 3, "100", "0.019504", service_point="SP-2")
    [group] = views.group_rows([a, b])
    assert group.superseded == 0 and len(group.rows) == 2 and group.service_points == ("SP-1", "SP-2")
    assert len(group.points) == 1 and group.points[0].kwh == 700.0  # one month on the chart


def test_equal_reason_only_when_figures_are_equal_and_it_says_why():
    fallback = views.emissions_row(monthly_vc(2024, 1, "600.5", "0.117123"))
    assert fallback.equal_reason and "no supplier-specific or residual-mix" in fallback.equal_reason
    assert "eGRID2023 subregion CAMX" in fallback.equal_reason and "EIA 14328" in fallback.equal_reason
    supplier = views.emissions_row(monthly_vc(2024, 1, "600.5", "0.117123", "0.090000",
                                              market_method="supplier-specific", market_factor="0.14988"))
    assert supplier.equal_reason is None
    zero = views.emissions_row(monthly_vc(2024, 2, "0", "0"))
    assert zero.equal_reason and "no electricity was used" in zero.equal_reason
    same_factor = views.emissions_row(monthly_vc(2024, 1, "600.5", "0.117123", market_method="residual-mix"))
    assert "residual-mix factor" in same_factor.equal_reason and "0.19504" in same_factor.equal_reason


def test_other_and_unreadable_credentials_are_skipped():
    broken = monthly_vc(2024, 5, "1", "0.000195")
    broken["credentialSubject"]["electricityKwh"] = "lots"
    minimal = {"type": ["VerifiableCredential", "UtilityEmissionsCredential"], "issuer": "did:key:z6Mk",
               "issuanceDate": "2024-04-02T00:00:00Z", "credentialSubject": {"periodStart": "2024-03-01"}}
    held = [account_vc(), broken, minimal, "not a dict", monthly_vc(2024, 6, "1", "0.000195")]
    assert [r.month for r in views.rows(held)] == ["2024-06"]
    assert views.unreadable(held) == 2
    assert [(a.account, a.service_point, a.utility, a.issued) for a in views.accounts(held)] == \
        [("ACCT-1", "SP-1", "14328", "3 January 2024")]


def test_lookups_and_paths():
    vc = monthly_vc(2024, 6, "1", "0.000195")
    row = views.find_row([vc], vc["id"])
    assert row and row.path == "/credentials/" + vc["id"].replace(":", "%3A")
    assert views.rows_by_record([vc]) == {row.record_id: row}
    assert views.find_row([vc], "urn:uuid:nope") is None


def test_words_for_periods_dates_and_numbers():
    assert views.period_words("2024-01-01", "2024-02-01") == "January 2024"  # ledger: exclusive end
    assert views.period_words("2024-03-01", "2024-03-31") == "March 2024"  # inclusive end
    assert views.period_words("2024-01-01", "2024-12-31") == "January to December 2024"
    assert views.period_words("2023-11-01", "2024-03-01") == "November 2023 to February 2024"
    assert views.period_words("2024-01-15", "2024-02-14") == "15 January 2024 to 14 February 2024"
    assert views.instant_words("2025-06-30T00:00:00Z") == "30 June 2025"
    assert views.instant_words("2025-06-30T14:30:00+02:00") == "30 June 2025, 12:30 UTC"
    assert views.number(Decimal("1234.500")) == "1,234.500" and views.number(Decimal("0.099470")) == "0.099470"
    assert views.number(Decimal("0")) == "0" and views.number(Decimal("1E+3")) == "1,000"


def test_consent_view_in_plain_words():
    view = views.consent_view(consent_record(scope=("usage", "billing", "weird")))
    assert view.months == "January to December 2024" and view.until == "30 June 2025"
    assert view.data[0].startswith("your meter readings") and view.data[1].startswith("your bills")
    assert "weird" in view.data[2] and "does not recognise" in view.data[2]
    assert view.pending and not view.revocable and view.path == "/consents/3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_keep_superseded_keeps_every_issue():
    first = monthly_vc(2024, 3, "600", "0.117024", recorded_at="2024-04-05T10:00:00Z")
    reissue = monthly_vc(2024, 3, "610", "0.118974", recorded_at="2024-05-01T09:00:00Z")
    [group] = views.group_rows([first, reissue], keep_superseded=True)
    assert group.superseded == 0 and {r.credential_id for r in group.rows} == {first["id"], reissue["id"]}


def test_progress_names_granted_audits_still_missing_months():
    from datetime import UTC, datetime

    granted = consent_record("issued")
    held = year_of_vcs(2024, range(1, 4))
    before_expiry = datetime(2025, 1, 1, tzinfo=UTC)
    assert views.progress([granted, consent_record("pending", cred_ex_id="p")], held, now=before_expiry) == [
        "Account ACCT-1, January to December 2024 (Scope 2 emissions audit): emissions credentials for 3 of 12 "
        "months so far."]
    assert views.progress([granted], year_of_vcs(2024), now=before_expiry) == []  # complete
    assert views.progress([granted], held, now=datetime(2025, 7, 1, tzinfo=UTC)) == []  # expired
    assert views.progress([granted], year_of_vcs(2024, account="OTHER"), now=before_expiry)[0].endswith(
        "0 of 12 months so far.")


def test_figures_no_meter_could_produce_make_the_credential_unreadable_not_the_page():
    # Any party the customer connected to can offer a credential naming the customer's DID; its
    # figures must not overflow the totals (decimal.Overflow) or blow up the page.
    huge, tiny = monthly_vc(2024, 1, "1", "0.000195"), monthly_vc(2024, 2, "1", "0.000195")
    huge["credentialSubject"]["electricityKwh"] = "1E+1000000"
    tiny["credentialSubject"]["locationBasedTco2e"] = "5e-324"
    held = [huge, tiny, monthly_vc(2024, 3, "2", "0.000390")]
    assert views.unreadable(held) == 2
    [group] = views.group_rows(held)
    assert group.total_kwh == Decimal("2") and [r.month for r in group.rows] == ["2024-03"]
