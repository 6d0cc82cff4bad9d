"""The wallet's pages rendered with realistic data: content, order, escaping, no script or style."""

from __future__ import annotations

from decimal import Decimal
from html import unescape
import re

import pytest

from controllers.customer import pages, views
from tests.pages.builders import AUDITOR, account_vc, consent_record, monthly_gas_vc, monthly_vc, sharing, year_of_vcs
from tests.pages.checks import Parsed, check_page, forms

EVIL = '<script>alert("x")</script>'
CSRF = "csrf-token-123"


def held():
    return (year_of_vcs(2023, range(11, 13)) + year_of_vcs(2024)
            + [monthly_vc(2024, 3, "560", "0.109222", recorded_at="2023-12-01T00:00:00Z", salt="old")]  # re-issued
            + [account_vc(), account_vc(account=f"ACCT{EVIL}")])


def test_every_page_is_clean_and_escapes_a_malicious_label():
    creds = held() + [monthly_vc(2024, 1, "1", "0.000195", account=f"A{EVIL}")]
    groups = views.group_rows(creds)
    row = views.rows(creds)[0]
    evil_record = consent_record(purpose=f"Audit {EVIL}", account=f"X{EVIL}")
    request = sharing(creds[:2], requester=f"Bank {EVIL}", comment=f"note {EVIL}")
    rendered = [
        pages.home(f"ann{EVIL}", CSRF, pending_consents=1, pending_shares=2, audits_in_progress=[f"Audit {EVIL}"],
                   groups=groups),
        pages.connect(f"ann{EVIL}", CSRF, error=f"Bad {EVIL}", invitation=EVIL, label=EVIL),
        pages.connect("ann", CSRF, connected=f"Utility {EVIL}"),
        pages.consents("ann", CSRF, [evil_record, consent_record("issued", cred_ex_id="b")],
                       auditor_names={AUDITOR: f"Green {EVIL}"}),
        pages.consent("ann", CSRF, evil_record, auditor_name=f"Green {EVIL}", utility_name=f"PG&E {EVIL}"),
        pages.consent("ann", CSRF, consent_record("failed", reason=f"agent said {EVIL}"), auditor_name=None,
                      utility_name=None),
        pages.credentials("ann", CSRF, groups, views.accounts(creds), unreadable=1),
        pages.credential("ann", CSRF, row, bill_check=f"Checked {EVIL}", bill_check_ok=False),
        pages.sharing_requests("ann", CSRF, [request]),
        pages.sharing_request("ann", CSRF, request, held=views.rows_by_record(creds)),
        pages.error(404, f"No {EVIL}"),
    ]
    for html in rendered:
        check_page(html)
        assert EVIL not in html
    assert all("&lt;script&gt;" in html for html in rendered)


def test_signed_in_pages_have_the_wallet_nav_and_sign_out():
    html = pages.connect("ann", CSRF)
    parsed = check_page(html)
    hrefs = [a["href"] for a in parsed.all("a")]
    for href in ("/", "/connect", "/consents", "/credentials", "/presentation-requests"):
        assert href in hrefs
    assert "Your energy wallet" in parsed.text and "ann" in parsed.text
    assert forms(html) == ["/signout", "/connect"]
    assert {"id": "invitation", "name": "invitation", "rows": "6", "required": None, "spellcheck": "false",
            "autocomplete": "off", "aria-describedby": "invitation-hint"} in parsed.all("textarea")
    assert "Paste the invitation link or its text from your utility, auditor or verifier" in parsed.text


def test_connect_reports_success_and_error():
    assert "Connected to My utility" in Parsed(pages.connect("ann", CSRF, connected="My utility")).text
    failed = pages.connect("ann", CSRF, error="That is not an invitation.", invitation="garbage", label="Mine")
    assert 'role="alert"' in failed and ">garbage</textarea>" in failed and 'value="Mine"' in failed


def test_home_shows_what_waits_and_the_latest_totals():
    groups = views.group_rows(held())
    html = pages.home("ann", CSRF, pending_consents=2, pending_shares=0, audits_in_progress=["Green Audit: 2024"],
                      groups=groups)
    text = Parsed(html).text
    assert "2 auditor requests" in text and "Requests to share" not in text
    assert "Green Audit: 2024" in text
    assert "Account ACCT-1, 2024" in text and "Account ACCT-1, 2023" not in text  # newest year per account
    assert views.number(groups[0].total_location) in text and "6,780 kWh" in text
    empty = Parsed(pages.home("ann", CSRF, pending_consents=0, pending_shares=0, audits_in_progress=[],
                              groups=[])).text
    assert "Nothing waits for you" in empty and "no emissions credentials yet" in empty


def test_consents_list_in_plain_words_pending_first():
    records = [consent_record("issued", cred_ex_id="old"), consent_record(cred_ex_id="new")]
    html = pages.consents("ann", CSRF, records, auditor_names={AUDITOR: "Green Audit LLP"})
    text = Parsed(html).text
    assert ("Green Audit LLP asks to read your meter readings (how much electricity you used, interval by "
            "interval) and your bills (billing periods, usage summaries and their costs) of account ACCT-1 for "
            "January to December 2024, for the purpose “Scope 2 emissions audit”, until 30 June 2025.") in text
    assert text.index("Waiting for your answer") < text.index("Earlier requests")
    assert html.index("/consents/new") < html.index("/consents/old")
    unknown = Parsed(pages.consents("ann", CSRF, records)).text
    assert f"auditor not in the ledger's auditor registry ({AUDITOR})" in unknown


def test_consent_page_offers_the_right_actions_and_warns_about_unknown_auditors():
    pending = pages.consent("ann", CSRF, consent_record(), auditor_name="Green Audit LLP", utility_name="PG&E")
    text = Parsed(pending).text
    assert "Careful" not in text and "ACCT-1 at PG&E (EIA 14328)" in text
    assert "January to December 2024" in text and "30 June 2025" in text and "Scope 2 emissions audit" in text
    base = "/consents/3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert forms(pending) == ["/signout", f"{base}/approve", f"{base}/decline"]

    issued = pages.consent("ann", CSRF, consent_record("issued"), auditor_name=None, utility_name=None)
    assert forms(issued) == ["/signout", f"{base}/revoke"] and "button danger" in issued
    warning = unescape(re.search(r'<p class="notice warning"[^>]*>(.*?)</p>', issued).group(1))
    assert "not in the ledger's auditor registry" in warning and AUDITOR in warning
    assert "utility EIA 14328" in Parsed(issued).text

    declined = pages.consent("ann", CSRF, consent_record("declined", reason="You declined it."),
                             auditor_name="Green Audit LLP", utility_name=None)
    assert forms(declined) == ["/signout"] and "You declined it." in declined


def test_credentials_page_groups_orders_totals_and_footnotes():
    creds = held() + [monthly_vc(2024, 7, "400", "0.078016", "0.060000", market_method="supplier-specific",
                                 market_factor="0.15", account="ACCT-3")]
    groups = views.group_rows(creds)
    html = pages.credentials("ann", CSRF, groups, views.accounts(creds))
    parsed = check_page(html)
    headings = [m for m in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]
    assert headings == ["Account ACCT-1, 2024", "Account ACCT-3, 2024", "Account ACCT-1, 2023", "Account credentials"]
    section = html[html.index('id="acct-14328-ACCT-1-2024"'):html.index('id="acct-14328-ACCT-3-2024"')]
    periods = re.findall(r'<th scope="row"><a href="/credentials/[^"]+">([^<]+)</a>', section)
    assert periods == [f"{m} 2024" for m in ("December", "November", "October", "September", "August", "July",
                                             "June", "May", "April", "March", "February", "January")]
    assert section.count('<rect class="bar bar-location"') == 12
    total = re.search(r"<tfoot><tr>(.*?)</tr></tfoot>", section).group(1)
    assert "Total 2024" in total and "6,780" in total and views.number(groups[0].total_location) in total
    # Equal figures: a footnote mark on each row, one note with the reason.
    assert section.count('class="note-mark"') == 12
    assert len(re.findall(r'<li id="acct-14328-ACCT-1-2024-note-\d">', section)) == 1
    assert "no supplier-specific or residual-mix" in section
    assert "1 older credential was replaced by a newer issue for the same period" in Parsed(section).text
    # Different figures: no note.
    acct3 = html[html.index('id="acct-14328-ACCT-3-2024"'):html.index('id="acct-14328-ACCT-1-2023"')]
    assert "note-mark" not in acct3 and 'class="notes"' not in acct3
    # Account credentials listed separately.
    assert "Account credentials" in parsed.text and "SP-1" in html


def test_credentials_page_when_empty():
    text = Parsed(pages.credentials("ann", CSRF, [], [])).text
    assert "no emissions credentials yet" in text and "No account credentials yet" in text


def test_credential_page_shows_figures_anchor_bill_and_check_result():
    vc = monthly_vc(2024, 1, "600.5", "0.117123", hourly=24)
    row = views.emissions_row(vc)
    html = pages.credential("ann", CSRF, row, bill_check="The bill matches the credential.", bill_check_ok=True)
    parsed = check_page(html)
    text = parsed.text
    assert "<h1>Emissions for January 2024</h1>" in html
    for fact in ("600.5 kWh", "0.117123 tCO2e", row.record_id, row.tx_id, row.bill_content_id, row.bill_sha256,
                 row.issuer, "eGRID2023", "0.19504 kg CO2e per kWh", "24 included", "5 February 2024"):
        assert fact in text, fact
    path = "/credentials/" + vc["id"].replace(":", "%3A")
    assert forms(html) == ["/signout", f"{path}/bill/check", f"{path}/openid-offer"]
    assert {"class": "button secondary", "href": f"{path}/bill"} in parsed.all("a")
    assert "Download and check the bill" in text and "Download the bill" in text
    assert '<p class="notice success" role="status">The bill matches the credential.</p>' in html
    assert "no supplier-specific or residual-mix" in text
    different = views.emissions_row(monthly_vc(2024, 1, "600.5", "0.117123", "0.09", market_method="supplier-specific"))
    plain = pages.credential("ann", CSRF, different)
    assert "no supplier-specific" not in plain and 'class="notice' not in plain


def test_sharing_pages_show_who_what_and_the_figures():
    creds = year_of_vcs(2024, range(1, 4))
    by_record = views.rows_by_record(creds)
    asked = tuple(sorted([creds[0]["credentialSubject"]["ledgerAnchor"]["recordId"], "f" * 64]))
    request = sharing(creds, asked=asked)
    listing = pages.sharing_requests("ann", CSRF, [request])
    assert "Green Bank asks to see 2 specific emissions credentials." in Parsed(listing).text
    assert 'href="/presentation-requests/pres-ex-1"' in listing

    html = pages.sharing_request("ann", CSRF, request, held=by_record)
    parsed = check_page(html)
    text = parsed.text
    assert "For your green mortgage" in text and "January 2024" in text and "February 2024" not in text
    january = by_record[creds[0]["credentialSubject"]["ledgerAnchor"]["recordId"]]
    assert "510" in text and "0.099470" in text and views.number(january.tco2e_location) == "0.099470"
    assert "1 credential they asked for is not in your wallet" in text
    assert forms(html) == ["/signout", "/presentation-requests/pres-ex-1/approve",
                           "/presentation-requests/pres-ex-1/decline"]
    assert "Share 1 credential" in text and "Decline" in text

    anything = pages.sharing_request("ann", CSRF, sharing(creds), held=by_record)
    assert "any of your emissions credentials" in Parsed(anything).text and "Share 3 credentials" in anything
    none = pages.sharing_request("ann", CSRF, sharing([]), held={})
    assert "You hold no credential this request matches" in Parsed(none).text
    without_figures = pages.sharing_request("ann", CSRF, sharing(creds[:1]))
    assert "January 2024" in Parsed(without_figures).text and "—" in without_figures
    assert "No one is asking" in Parsed(pages.sharing_requests("ann", CSRF, [])).text


@pytest.mark.parametrize("n", [0, 1])
def test_credentials_page_with_little_data(n):
    creds = year_of_vcs(2024, range(1, 1 + n))
    html = pages.credentials("ann", CSRF, views.group_rows(creds), [])
    check_page(html)
    assert html.count('<rect class="bar bar-location"') == n


def gas_and_electricity():
    """One account billed for both: electricity (Scope 2) and gas burned on site (Scope 1)."""
    return (year_of_vcs(2024, range(1, 3), account="BOTH-1")
            + [monthly_gas_vc(2024, 1, "50", "therm", account="BOTH-1"),
               monthly_gas_vc(2024, 2, "40", "ccf", account="BOTH-1")])


def test_gas_credentials_are_a_scope_1_inventory_beside_the_same_accounts_electricity():
    groups = views.group_rows(gas_and_electricity())
    assert [(g.title, g.scope, len(g.rows)) for g in groups] == [
        ("Account BOTH-1, 2024", 2, 2), ("Account BOTH-1, 2024, natural gas (Scope 1)", 1, 2)]
    gas = groups[1]
    assert gas.superseded == 0  # gas and electricity of the same months do not replace each other
    assert gas.fuel_used == (("ccf", Decimal(40)), ("therm", Decimal(50)))
    assert gas.total_scope1 == sum(r.tco2e_scope1 for r in gas.rows) and gas.total_location == 0
    assert groups[0].total_scope1 == 0 and groups[0].key != gas.key

    html = pages.credentials("ann", CSRF, groups, [])
    check_page(html)
    section = Parsed(html[html.index(f'id="{gas.key}"'):]).text
    assert "Account BOTH-1, 2024, natural gas (Scope 1)" in section
    for header in ("Fuel used (as billed)", "mmBtu", "tCO2e Scope 1"):
        assert header in section, header
    assert "50 therm" in section and "40 ccf" in section and "0.265572" in section
    assert html.count('<rect class="bar bar-location"') == 2  # the chart draws the electricity months only
    assert "its Scope 1 emissions" in Parsed(html).text and "tonnes of CO2 equivalent (tCO2e)" in Parsed(html).text

    home = Parsed(pages.home("ann", CSRF, pending_consents=0, pending_shares=0, audits_in_progress=[],
                             groups=groups)).text
    assert "Account BOTH-1, 2024, natural gas (Scope 1)" in home and "Scope 1, natural gas burned on site" in home


def test_a_gas_credential_page_shows_scope_fuel_quantity_with_unit_and_tonnes():
    row = views.emissions_row(monthly_gas_vc(2024, 1, "50", "therm"))
    html = pages.credential("ann", CSRF, row)
    text = check_page(html).text
    assert "<h1>Emissions for January 2024</h1>" in html
    for fact in ("Scope 1: natural gas burned on site", "50 therm (5.0 mmBtu)", "0.265572 tCO2e", "GHGHub2024",
                 "53.06 kg CO2, 1.0 g CH4, 0.10 g N2O per mmBtu", "0.001026 mmBtu per scf", "AR5",
                 row.record_id, row.bill_sha256, row.issuer):
        assert fact in text, fact
    assert "kWh" not in text and "Location-based" not in text


def test_sharing_a_gas_and_an_electricity_credential_shows_each_with_its_scope_and_units():
    creds = gas_and_electricity()
    request = sharing([creds[0], creds[2]])
    html = pages.sharing_request("ann", CSRF, request, held=views.rows_by_record(creds))
    text = check_page(html).text
    for header in ("Scope", "Used", "tCO2e location-based (Scope 2)", "tCO2e market-based (Scope 2)", "tCO2e Scope 1"):
        assert header in text, header
    assert "510 kWh" in text and "50 therm of natural gas" in text and "0.265572" in text
    assert "Share 2 credentials" in text
