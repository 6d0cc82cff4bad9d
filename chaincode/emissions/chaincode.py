"""The deployable `emissions` chaincode: auditor registry, factor registry, emissions records.

    emissions chaincode serve --chaincode chaincode.emissions.chaincode:chaincode

Clients call "AuditorRegistry:ProposeAuditor", "FactorRegistry:GetFactor",
"EmissionsRecords:RecordEmissions" ...; EmissionsRecords is the default contract, so a bare
"RecordEmissions" works too. Record details go to the collection `emissionsRecordDetails`
(network/collections/emissions-collections.json).
"""

from __future__ import annotations

from chaincode.emissions.contracts import AuditorRegistry, EmissionsRecords, FactorRegistry
from chaincode.runtime import ContractChaincode

CHAINCODE_NAME = "emissions"
CHAINCODE_VERSION = "1.0"

chaincode = ContractChaincode(
    [EmissionsRecords(), AuditorRegistry(), FactorRegistry()],
    title="Utility emissions channel",
    version=CHAINCODE_VERSION,
)
