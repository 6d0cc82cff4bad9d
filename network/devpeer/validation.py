"""Commit-time validation, as a Fabric peer's committer does it for each block.

Per transaction, in block order: envelope and header shape, creator signature and MSP membership,
transaction id derivation, duplicates, chaincode definition (non-empty version), endorsement
policy, then MVCC: every read must still be at the version it was read at, counting writes of
earlier VALID transactions in the same block, and every range query must return the same keys
(phantom reads). Invalid transactions keep their place in the block with their code; only valid
ones change state or emit events.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import chaincode_event_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

from network.devpeer.endorsement import ChaincodeDefinition
from network.devpeer.ledger import BlockUpdates, Ledger, Version
from network.devpeer.membership import MemberError, Membership
from network.devpeer.policy import Policy, evaluate
from network.devpeer.proposals import compute_tx_id

__all__ = ["Validator", "ValidatedBlock", "block_events"]

log = logging.getLogger(__name__)
Code = transaction_pb2.TxValidationCode


class _Invalid(Exception):
    def __init__(self, code: int, why: str) -> None:
        super().__init__(why)
        self.code = code


@dataclass(frozen=True)
class ValidatedBlock:
    tx_ids: list[str]
    codes: bytes
    updates: BlockUpdates


@dataclass(frozen=True)
class _Endorsed:
    tx_id: str
    channel_header: common_pb2.ChannelHeader
    chaincode: ChaincodeDefinition
    rwset: rwset_pb2.TxReadWriteSet
    kv: dict[str, kv_rwset_pb2.KVRWSet]
    hashed: dict[tuple[str, str], tuple[kv_rwset_pb2.HashedRWSet, bytes]]


def _parse(message_type, data: bytes, code: int, what: str):
    try:
        return message_type.FromString(data)
    except Exception as exc:  # noqa: BLE001 - any decode failure maps to the code Fabric uses
        raise _Invalid(code, f"{what} does not parse") from exc


def _version(message) -> Version | None:
    return (message.version.block_num, message.version.tx_num) if message.HasField("version") else None


class Validator:
    def __init__(
        self,
        channel: str,
        ledger: Ledger,
        membership: Membership,
        chaincodes: Mapping[str, ChaincodeDefinition],
        private_data: Callable[[str], rwset_pb2.TxPvtReadWriteSet | None],
    ) -> None:
        self._channel = channel
        self._ledger = ledger
        self._membership = membership
        self._chaincodes = chaincodes
        self._private_data = private_data

    def validate_block(self, number: int, entries: list[bytes]) -> ValidatedBlock:
        updates = BlockUpdates()
        tx_ids: list[str] = []
        codes = bytearray()
        seen: set[str] = set()
        for index, raw in enumerate(entries):
            tx_id = ""
            try:
                endorsed = self._check_transaction(raw, seen)
                tx_id = endorsed.tx_id
                self._check_mvcc(endorsed, updates)
                self._apply(number, index, endorsed, updates)
                code = Code.VALID
            except _Invalid as invalid:
                code = invalid.code
                tx_id = getattr(invalid, "tx_id", tx_id)
                log.info("block %d tx %d invalid: %s (%s)", number, index, Code.Name(code), invalid)
            tx_ids.append(tx_id)  # "" = claims no id: not indexed, no CommitStatus waiter woken
            if tx_id:
                seen.add(tx_id)
            codes.append(code)
        return ValidatedBlock(tx_ids, bytes(codes), updates)

    # -- structure, signatures, policy -----------------------------------------------------------
    def _check_transaction(self, raw: bytes, seen: set[str]) -> _Endorsed:
        if not raw:
            raise _Invalid(Code.NIL_ENVELOPE, "empty envelope")
        envelope = _parse(common_pb2.Envelope, raw, Code.BAD_PAYLOAD, "envelope")
        payload = _parse(common_pb2.Payload, envelope.payload, Code.BAD_PAYLOAD, "payload")
        header = payload.header
        channel_header = _parse(common_pb2.ChannelHeader, header.channel_header, Code.BAD_CHANNEL_HEADER, "channel header")
        if channel_header.type != common_pb2.ENDORSER_TRANSACTION:
            raise _Invalid(Code.UNKNOWN_TX_TYPE, f"transaction type {channel_header.type}")
        if channel_header.channel_id != self._channel:
            raise _Invalid(Code.TARGET_CHAIN_NOT_FOUND, f"channel {channel_header.channel_id!r}")
        return self._check_endorser_transaction(envelope, payload, channel_header, seen)

    def _check_endorser_transaction(self, envelope, payload, channel_header, seen: set[str]) -> _Endorsed:
        header = payload.header
        signature_header = _parse(common_pb2.SignatureHeader, header.signature_header, Code.BAD_COMMON_HEADER, "signature header")
        try:
            self._membership.verified(signature_header.creator, envelope.payload, envelope.signature)
        except MemberError as exc:
            raise _Invalid(Code.BAD_CREATOR_SIGNATURE, str(exc)) from exc
        tx_id = channel_header.tx_id
        if not signature_header.nonce or tx_id != compute_tx_id(signature_header.nonce, signature_header.creator):
            raise _Invalid(Code.BAD_PROPOSAL_TXID, "transaction id is not sha256(nonce || creator)")
        # From here on the id is authentically its creator's: an invalid transaction claims it (it
        # is indexed, so CommitStatus reports its code). Before here it claims nothing, else anyone
        # could replay a header with a bad signature and make the genuine transaction a duplicate.
        try:
            if tx_id in seen or self._ledger.transaction(tx_id) is not None:
                raise _Invalid(Code.DUPLICATE_TXID, f"duplicate transaction id {tx_id}")
            return self._check_action(tx_id, channel_header, header, payload.data)
        except _Invalid as invalid:
            invalid.tx_id = tx_id  # type: ignore[attr-defined]
            raise

    def _check_action(
        self, tx_id: str, channel_header: common_pb2.ChannelHeader, header: common_pb2.Header, data: bytes
    ) -> _Endorsed:
        transaction = _parse(transaction_pb2.Transaction, data, Code.BAD_PAYLOAD, "transaction")
        if len(transaction.actions) != 1:
            raise _Invalid(Code.INVALID_ENDORSER_TRANSACTION, f"{len(transaction.actions)} actions, expected 1")
        action = transaction.actions[0]
        if action.header != header.signature_header:
            raise _Invalid(Code.INVALID_ENDORSER_TRANSACTION, "action header differs from the transaction's")
        action_payload = _parse(transaction_pb2.ChaincodeActionPayload, action.payload, Code.BAD_PAYLOAD, "action payload")
        response_bytes = action_payload.action.proposal_response_payload
        response_payload = _parse(
            proposal_response_pb2.ProposalResponsePayload, response_bytes, Code.BAD_RESPONSE_PAYLOAD, "response payload"
        )
        # Fabric's GetProposalHash2: the endorsers signed this exact proposal, transient data excluded.
        expected_hash = hashlib.sha256(
            header.channel_header + header.signature_header + action_payload.chaincode_proposal_payload
        ).digest()
        if response_payload.proposal_hash != expected_hash:
            raise _Invalid(Code.INVALID_ENDORSER_TRANSACTION, "proposal hash does not match the transaction")
        chaincode_action = _parse(
            proposal_pb2.ChaincodeAction, response_payload.extension, Code.BAD_RESPONSE_PAYLOAD, "chaincode action"
        )
        name = chaincode_action.chaincode_id.name
        chaincode = self._chaincodes.get(name)
        if chaincode is None or not chaincode_action.chaincode_id.version:
            raise _Invalid(Code.INVALID_CHAINCODE, f"chaincode {name!r} undefined or without version")
        rwset = _parse(rwset_pb2.TxReadWriteSet, chaincode_action.results, Code.BAD_RWSET, "read-write set")
        kv: dict[str, kv_rwset_pb2.KVRWSet] = {}
        hashed: dict[tuple[str, str], tuple[kv_rwset_pb2.HashedRWSet, bytes]] = {}
        for ns_set in rwset.ns_rwset:
            kv[ns_set.namespace] = _parse(kv_rwset_pb2.KVRWSet, ns_set.rwset, Code.BAD_RWSET, "namespace read-write set")
            for coll in ns_set.collection_hashed_rwset:
                hashed[(ns_set.namespace, coll.collection_name)] = (
                    _parse(kv_rwset_pb2.HashedRWSet, coll.hashed_rwset, Code.BAD_RWSET, "hashed read-write set"),
                    coll.pvt_rwset_hash,
                )
        endorsed = _Endorsed(tx_id, channel_header, chaincode, rwset, kv, hashed)
        self._check_endorsements(endorsed, response_bytes, action_payload.action.endorsements)
        return endorsed

    def _policies(self, endorsed: _Endorsed) -> list[Policy]:
        policies: list[Policy] = []
        for namespace, kv in endorsed.kv.items():
            if kv.writes or kv.metadata_writes:
                definition = self._chaincodes.get(namespace)
                if definition is None:
                    raise _Invalid(Code.ILLEGAL_WRITESET, f"writes to undefined namespace {namespace!r}")
                policies.append(definition.policy)
        for (namespace, name), (hashed, _) in endorsed.hashed.items():
            if not hashed.hashed_writes:
                continue
            definition = self._chaincodes.get(namespace)
            collection = None if definition is None else definition.collections.get(name)
            if collection is None:
                raise _Invalid(Code.ILLEGAL_WRITESET, f"writes to undefined collection {namespace}/{name}")
            policies.append(collection.endorsement_policy or definition.policy)
        return policies or [endorsed.chaincode.policy]

    def _check_endorsements(self, endorsed: _Endorsed, response_bytes: bytes, endorsements) -> None:
        signers = {}
        for endorsement in endorsements:
            if endorsement.endorser in signers:
                continue  # one identity counts once, however often it signed
            try:
                member = self._membership.verified(
                    endorsement.endorser, response_bytes + endorsement.endorser, endorsement.signature
                )
            except MemberError as exc:
                log.info("tx %s: ignoring endorsement: %s", endorsed.tx_id, exc)
                continue
            signers[endorsement.endorser] = member.signer
        for policy in self._policies(endorsed):
            if not evaluate(policy, list(signers.values())):
                raise _Invalid(Code.ENDORSEMENT_POLICY_FAILURE, f"endorsements do not satisfy {policy}")

    # -- MVCC ----------------------------------------------------------------------------------
    def _check_mvcc(self, endorsed: _Endorsed, updates: BlockUpdates) -> None:
        for namespace, kv in endorsed.kv.items():
            for read in kv.reads:
                if (namespace, read.key) in updates.public:
                    raise _Invalid(Code.MVCC_READ_CONFLICT, f"{namespace}/{read.key!r} written earlier in this block")
                if self._ledger.get_version(namespace, read.key) != _version(read):
                    raise _Invalid(Code.MVCC_READ_CONFLICT, f"{namespace}/{read.key!r} changed since it was read")
            for info in kv.range_queries_info:
                if self._phantom(namespace, info, updates):
                    raise _Invalid(Code.PHANTOM_READ_CONFLICT, f"range [{info.start_key!r}, {info.end_key!r}) changed")
        for (namespace, collection), (hashed, _) in endorsed.hashed.items():
            for read in hashed.hashed_reads:
                if (namespace, collection, read.key_hash) in updates.hashed:
                    raise _Invalid(Code.MVCC_READ_CONFLICT, f"private key in {collection} written earlier in this block")
                found = self._ledger.get_private_hash(namespace, collection, read.key_hash)
                if (None if found is None else found[1]) != _version(read):
                    raise _Invalid(Code.MVCC_READ_CONFLICT, f"private key in {collection} changed since it was read")

    def _phantom(self, namespace: str, info: kv_rwset_pb2.RangeQueryInfo, updates: BlockUpdates) -> bool:
        if info.HasField("reads_merkle_hashes"):
            return True  # never produced here; cannot be re-verified without the raw reads
        recorded = [(read.key, _version(read)) for read in info.raw_reads.kv_reads]
        start, end, inclusive = info.start_key, info.end_key, False
        if not info.itr_exhausted:
            if not recorded:
                return False
            end, inclusive = recorded[-1][0], True  # only what the chaincode actually consumed
        current = {key: value.version for key, value in self._ledger.range(namespace, start, end, end_inclusive=inclusive)}
        for (ns, key), (value, version, _) in updates.public.items():
            if ns != namespace or key < start:
                continue
            if end and (key > end or (key == end and not inclusive)):
                continue
            if value is None:
                current.pop(key, None)
            else:
                current[key] = version
        return sorted(current.items()) != recorded

    # -- applying a valid transaction ----------------------------------------------------------
    def _apply(self, number: int, index: int, endorsed: _Endorsed, updates: BlockUpdates) -> None:
        version = (number, index)
        stamp = endorsed.channel_header.timestamp
        for namespace, kv in endorsed.kv.items():
            metadata = {m.key: m for m in kv.metadata_writes}
            for write in kv.writes:
                meta = metadata.pop(write.key, None)
                if write.is_delete:
                    updates.public[(namespace, write.key)] = (None, version, None)
                else:
                    meta_bytes = None if meta is None else _metadata_bytes(meta)
                    updates.public[(namespace, write.key)] = (write.value, version, meta_bytes)
                updates.history.append(
                    (namespace, write.key, version, endorsed.tx_id, b"" if write.is_delete else write.value,
                     write.is_delete, stamp.seconds, stamp.nanos)
                )
            for key, meta in metadata.items():
                current = updates.public.get((namespace, key))
                if current is not None:
                    value = current[0]
                else:
                    stored = self._ledger.get_state(namespace, key)
                    value = None if stored is None else stored.value
                if value is not None:  # metadata of an absent key is dropped, as in Fabric
                    updates.public[(namespace, key)] = (value, version, _metadata_bytes(meta))
        private = None
        for (namespace, collection), (hashed, pvt_hash) in endorsed.hashed.items():
            for write in hashed.hashed_writes:
                updates.hashed[(namespace, collection, write.key_hash)] = (
                    None if write.is_delete else write.value_hash,
                    version,
                )
            if not hashed.hashed_writes:
                continue
            if private is None:
                private = self._private_data(endorsed.tx_id) or rwset_pb2.TxPvtReadWriteSet()
            cleartext = _collection_writes(private, namespace, collection, pvt_hash)
            if cleartext is None:
                log.warning("tx %s: private data for %s/%s is missing; only its hashes are committed",
                            endorsed.tx_id, namespace, collection)
                continue
            for write in cleartext.writes:
                updates.private[(namespace, collection, write.key)] = (None if write.is_delete else write.value, version)


def _metadata_bytes(meta: kv_rwset_pb2.KVMetadataWrite) -> bytes:
    return kv_rwset_pb2.KVMetadataWrite(entries=meta.entries).SerializeToString(deterministic=True) if meta.entries else b""


def _collection_writes(
    private: rwset_pb2.TxPvtReadWriteSet, namespace: str, collection: str, expected_hash: bytes
) -> kv_rwset_pb2.KVRWSet | None:
    for ns in private.ns_pvt_rwset:
        if ns.namespace != namespace:
            continue
        for coll in ns.collection_pvt_rwset:
            if coll.collection_name == collection and hashlib.sha256(coll.rwset).digest() == expected_hash:
                return kv_rwset_pb2.KVRWSet.FromString(coll.rwset)
    return None


def block_events(block: common_pb2.Block) -> list[tuple[int, str, chaincode_event_pb2.ChaincodeEvent]]:
    """(tx index, tx id, event) of the VALID transactions of a committed block, in block order."""
    codes = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
    events = []
    for index, raw in enumerate(block.data.data):
        if index >= len(codes) or codes[index] != Code.VALID:
            continue
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(raw).payload)
        channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        if channel_header.type != common_pb2.ENDORSER_TRANSACTION:
            continue
        tx_id = channel_header.tx_id
        transaction = transaction_pb2.Transaction.FromString(payload.data)
        action_payload = transaction_pb2.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
        response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
            action_payload.action.proposal_response_payload
        )
        action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
        if action.events:
            events.append((index, tx_id, chaincode_event_pb2.ChaincodeEvent.FromString(action.events)))
    return events
