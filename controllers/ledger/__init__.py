"""A small client for the `emissions` chaincode: a connection profile and typed calls.

    profile = load_profile("auditor1.toml")
    async with open_ledger(profile) as ledger:
        outcome = await ledger.client.record_emissions(request, detail)
        check = await ledger.verify_record(outcome.record_id, detail_hash(document))
"""

from controllers.ledger.client import (
    LedgerClient,
    LedgerError,
    LoadProgress,
    RecordOutcome,
)
from controllers.ledger.index_secret import SecretFileError, create_secret_file, new_secret, read_secret_file
from controllers.ledger.profile import ConnectionProfile, ProfileError, dump_profile, load_profile, parse_profile
from controllers.ledger.records import (
    AuditorSpec,
    BillReference,
    CustomerDetail,
    GasUsage,
    RecordRequest,
    detail_hash,
    fuel_unit,
)
from controllers.ledger.session import (
    LedgerSession,
    LedgerUnavailable,
    TransactionStatus,
    caught_up,
    open_ledger,
    unreachable,
)

__all__ = [
    "AuditorSpec",
    "BillReference",
    "ConnectionProfile",
    "CustomerDetail",
    "GasUsage",
    "LedgerClient",
    "LedgerError",
    "LedgerSession",
    "LedgerUnavailable",
    "LoadProgress",
    "ProfileError",
    "RecordOutcome",
    "RecordRequest",
    "SecretFileError",
    "TransactionStatus",
    "create_secret_file",
    "detail_hash",
    "fuel_unit",
    "dump_profile",
    "load_profile",
    "new_secret",
    "caught_up",
    "open_ledger",
    "parse_profile",
    "read_secret_file",
    "unreachable",
]
