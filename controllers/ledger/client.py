"""LedgerClient: the emissions chaincode's transactions as typed async calls over the Gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chaincode.emissions.combustion import FuelEdition
from chaincode.emissions.interface import TRANSIENT_DETAIL, edition_digest, fuel_edition_digest
from chaincode.emissions.factors import FactorEdition
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.utilities import UtilityRecord
from controllers.ledger.index_secret import TRANSIENT_KEY as INDEX_SECRET_TRANSIENT_KEY, check_secret
from controllers.ledger.records import AuditorSpec, CustomerDetail, RecordRequest, utc_text
from network.gateway import Contract, GatewayError

__all__ = ["LedgerClient", "LedgerError", "LoadProgress", "RecordOutcome", "DEFAULT_BATCH"]

DEFAULT_BATCH = 500  # utilities per LoadUtilities transaction: ~110 KB of JSON


class LedgerError(Exception):
    """A ledger call failed; the message carries the chaincode's or gateway's reason."""


@dataclass(frozen=True)
class LoadProgress:
    step: str  # "header", "subregion", "state", "utilities", "seal"
    done: int
    total: int


@dataclass(frozen=True)
class RecordOutcome:
    record: dict[str, Any]
    replayed: bool

    @property
    def record_id(self) -> str:
        return self.record["record_id"]


def _chaincode_message(error: GatewayError) -> str:
    # The chaincode's own words sit in the endorsers' details: "chaincode response 500, <message>".
    for detail in error.details:
        _, marker, message = detail.message.partition("chaincode response 500, ")
        if marker:
            return message
    return str(error)


class LedgerClient:
    def __init__(self, contracts: Mapping[str, Contract], endorsing_orgs: Sequence[str]) -> None:
        self._contracts = dict(contracts)
        self._endorsing_orgs = tuple(endorsing_orgs)

    async def _submit(self, contract: str, function: str, *args: str, transient: Mapping[str, bytes] | None = None) -> Any:
        try:
            result = await self._contracts[contract].submit(
                function, *args, transient=transient,
                endorsing_organizations=self._endorsing_orgs if transient else (),
            )
        except GatewayError as exc:
            raise LedgerError(f"{contract}:{function}: {_chaincode_message(exc)}") from exc
        return result.json()

    async def _evaluate(self, contract: str, function: str, *args: str) -> Any:
        try:
            result = await self._contracts[contract].evaluate(function, *args)
        except GatewayError as exc:
            raise LedgerError(f"{contract}:{function}: {_chaincode_message(exc)}") from exc
        return result.json()

    # -- auditor registry ---------------------------------------------------------------------
    async def bootstrap(self, orgs: Sequence[str], index_secret: bytes | None = None) -> dict[str, Any]:
        """Approve the founding orgs. The first founder passes `index_secret` (32 random bytes,
        see `index_secret.new_secret`): it travels as transient data and keys the private
        customer index; later founders may pass the same one or None."""
        transient = None
        if index_secret is not None:
            check_secret(index_secret)
            transient = {INDEX_SECRET_TRANSIENT_KEY: index_secret}
        return await self._submit("AuditorRegistry", "Bootstrap", json.dumps(list(orgs)), transient=transient)

    async def propose_auditor(self, auditor: AuditorSpec) -> dict[str, Any]:
        return await self._submit("AuditorRegistry", "ProposeAuditor", auditor.to_json())

    async def propose_status_change(self, msp_id: str, action: str, reason: str) -> dict[str, Any]:
        return await self._submit("AuditorRegistry", "ProposeStatusChange", msp_id, action, reason)

    async def approve(self, proposal_id: str) -> dict[str, Any]:
        return await self._submit("AuditorRegistry", "ApproveProposal", proposal_id)

    async def list_proposals(self, status: str = "open") -> list[dict[str, Any]]:
        return await self._evaluate("AuditorRegistry", "ListProposals", status)

    async def get_auditor(self, msp_id: str) -> dict[str, Any]:
        return await self._evaluate("AuditorRegistry", "GetAuditor", msp_id)

    async def list_auditors(self, status: str = "active") -> list[dict[str, Any]]:
        return await self._evaluate("AuditorRegistry", "ListAuditors", status)

    async def is_active_auditor(self, did: str, at: datetime) -> dict[str, Any]:
        return await self._evaluate("AuditorRegistry", "IsActiveAuditor", did, utc_text(at))

    # -- factor registry ----------------------------------------------------------------------
    async def load_edition(
        self,
        edition: FactorEdition,
        utilities: Mapping[int, UtilityRecord],
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[LoadProgress], None] = lambda _: None,
    ) -> dict[str, Any]:
        """Create, fill in batches and seal `edition`; returns the sealed edition's metadata."""
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        document = edition.to_json_dict()
        header = {key: document[key] for key in ("edition", "year", "published", "source", "us", "provenance")}
        await self._submit("FactorRegistry", "CreateEdition", json.dumps(header))
        progress(LoadProgress("header", 1, 1))
        for level, regions in (("subregion", document["subregions"]), ("state", document["states"])):
            items = sorted(regions.items())
            for start in range(0, len(items), batch_size):
                batch = dict(items[start:start + batch_size])
                await self._submit("FactorRegistry", "LoadRegions", edition.edition, level, json.dumps(batch))
                progress(LoadProgress(level, min(start + batch_size, len(items)), len(items)))
        records = {str(eia_id): record.to_json_dict() for eia_id, record in sorted(utilities.items())}
        items = list(records.items())
        for start in range(0, len(items), batch_size):
            batch = dict(items[start:start + batch_size])
            await self._submit("FactorRegistry", "LoadUtilities", edition.edition, json.dumps(batch))
            progress(LoadProgress("utilities", min(start + batch_size, len(items)), len(items)))
        sealed = await self._submit("FactorRegistry", "SealEdition", edition.edition, edition_digest(document, records))
        progress(LoadProgress("seal", 1, 1))
        return sealed

    async def set_market_factor(self, factor: MarketFactor) -> dict[str, Any]:
        return await self._submit("FactorRegistry", "SetMarketFactor", json.dumps(factor.to_json_dict()))

    async def list_editions(self) -> list[dict[str, Any]]:
        return await self._evaluate("FactorRegistry", "ListEditions")

    async def get_factor(self, utility_id: int, year: int) -> dict[str, Any]:
        return await self._evaluate("FactorRegistry", "GetFactor", str(utility_id), str(year))

    # -- records ------------------------------------------------------------------------------
    async def load_fuel_edition(self, edition: FuelEdition) -> dict[str, Any]:
        """Load and seal a fuel edition (Scope 1 factors) in one transaction."""
        document = edition.to_json_dict()
        return await self._submit("FactorRegistry", "LoadFuelEdition", json.dumps(document),
                                  fuel_edition_digest(document))

    async def get_fuel_edition(self, edition: str) -> dict[str, Any]:
        return await self._evaluate("FactorRegistry", "GetFuelEdition", edition)

    async def record_emissions(self, request: RecordRequest, detail: CustomerDetail) -> RecordOutcome:
        outcome = await self._submit("EmissionsRecords", "RecordEmissions", request.to_json(),
                                     transient={TRANSIENT_DETAIL: detail.to_transient()})
        return RecordOutcome(outcome["record"], outcome["replayed"])

    async def get_record(self, record_id: str) -> dict[str, Any]:
        return await self._evaluate("EmissionsRecords", "GetRecord", record_id)

    async def get_record_detail(self, record_id: str) -> dict[str, Any]:
        return await self._evaluate("EmissionsRecords", "GetRecordDetail", record_id)

    async def verify_record(self, record_id: str, detail_hash: str) -> dict[str, Any]:
        return await self._evaluate("EmissionsRecords", "VerifyRecord", record_id, detail_hash)

    async def query_records(self, utility_id: int, period_from: datetime, period_to: datetime,
                            page_size: int = 50, bookmark: str = "") -> dict[str, Any]:
        return await self._evaluate("EmissionsRecords", "QueryRecords", str(utility_id), utc_text(period_from),
                                    utc_text(period_to), str(page_size), bookmark)

    async def record_history(self, record_id: str) -> list[dict[str, Any]]:
        return await self._evaluate("EmissionsRecords", "RecordHistory", record_id)
