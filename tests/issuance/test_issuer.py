"""What the auditor reads from a bill before anchoring it (EmissionsIssuer.usage): the format the
utility served, electricity in kWh or natural gas in the bill's unit, and the reader's notices; and
which anchoring failures it tries again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import grpc
import pytest

from controllers.issuance import EmissionsIssuer, IssuanceError, IssuerSettings
from controllers.ledger import LedgerError
from network.gateway import EndorseError, ErrorDetail
from greenbutton import generate_csv, generate_feed, generate_gas_csv


def issuer() -> EmissionsIssuer:
    # usage() parses and aggregates only: nothing of the agent, ledger or custody is touched.
    return EmissionsIssuer(IssuerSettings("did:key:z6Mkauditor"), admin=None, ledger=None, custody=None, store=None,
                           auditor_recipients=())


async def test_an_xml_electricity_bill_gives_kwh_per_period_with_its_format():
    periods = await issuer().usage(generate_feed(seed=3, start=date(2024, 1, 1), days=31))
    assert [p["format"] for p in periods] == ["Green Button XML"]
    assert Decimal(periods[0]["kwh"]) > 0 and "gas" not in periods[0] and periods[0]["notices"] == []


async def test_a_gas_bill_gives_its_quantity_in_the_ledgers_unit():
    periods = await issuer().usage(generate_feed(seed=3, start=date(2024, 1, 1), days=31, commodity="gas"))
    assert [(p["format"], p["unit"]) for p in periods] == [("Green Button XML", "therm")]
    assert Decimal(periods[0]["gas"]) > 0 and "kwh" not in periods[0]


async def test_a_csv_bill_is_read_and_named_as_csv_with_what_was_assumed():
    electricity = await issuer().usage(generate_csv(seed=3, start=date(2024, 1, 1), days=31))
    gas = await issuer().usage(generate_gas_csv(seed=3, start=date(2024, 1, 1), days=31))
    assert {p["format"] for p in electricity + gas} == {"Green Button CSV"}
    assert Decimal(electricity[0]["kwh"]) > 0 and Decimal(gas[0]["gas"]) > 0
    # A CSV states no zone: the reader says what it took the times to be.
    assert any(n["code"].startswith("csv-") for n in electricity[0]["notices"])


async def test_a_bill_of_another_kind_is_refused_naming_the_line():
    with pytest.raises(ValueError, match="line 2, column TYPE: 'Water' is not a usage type"):
        await issuer().usage(b"TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES\nWater,2024-01-01,,,5,gal,,\n")


async def test_gas_in_a_unit_without_a_fuel_factor_is_refused():
    from controllers.issuance.issuer import _ledger_gas_unit

    assert _ledger_gas_unit("ft3") == "scf" and _ledger_gas_unit("ccf") == "ccf"
    with pytest.raises(IssuanceError, match="gas metered in J has no factor on the ledger"):
        _ledger_gas_unit("J")


def _failed(cause: Exception) -> LedgerError:
    error = LedgerError("EmissionsRecords:RecordEmissions: failed")
    error.__cause__ = cause
    return error


def test_only_failures_that_may_pass_a_moment_later_are_retried():
    from controllers.issuance.issuer import _transient

    lagging = EndorseError("failed to collect enough transaction endorsements, see attached details for more info",
                           code=grpc.StatusCode.ABORTED,
                           details=(ErrorDetail("127.0.0.1:7080", "Auditor2MSP", "ProposalResponsePayloads do not match"),))
    refused = EndorseError("failed to endorse transaction", code=grpc.StatusCode.ABORTED,
                           details=(ErrorDetail("127.0.0.1:7070", "Auditor1MSP",
                                                "chaincode response 500, the period overlaps record 0000"),))
    assert _transient(_failed(lagging))  # the other org's peer had not committed the previous period yet
    assert not _transient(_failed(refused))  # the chaincode's refusal stands
    assert not _transient(_failed(ValueError("no gateway")))
