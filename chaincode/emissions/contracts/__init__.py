"""The emissions chaincode's contracts, one module each, and the helpers they share.

- `auditors`: AuditorRegistry — governing orgs, auditor registration by majority approval,
  deactivation/reactivation with history, "was this DID an active auditor at time T".
- `factor_registry`: FactorRegistry — eGRID editions loaded in batches and sealed, market factors,
  factor lookup; `factor_store` reads that data back for the other contracts.
- `records`: EmissionsRecords — RecordEmissions computes CO2e on every endorser, keeps personal
  data in the `emissionsRecordDetails` collection and the public record on the channel.

Shared: `state` (canonical JSON state I/O and key layout), `access` (who is calling),
`arguments` (strict parsing of JSON and time arguments).
"""

from chaincode.emissions.contracts.auditors import AuditorRegistry
from chaincode.emissions.contracts.factor_registry import FactorRegistry
from chaincode.emissions.contracts.records import COLLECTION, EmissionsRecords

__all__ = ["COLLECTION", "AuditorRegistry", "EmissionsRecords", "FactorRegistry"]
