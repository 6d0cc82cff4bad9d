"""The dev peer: one process playing every configured org's peer plus a solo orderer.

Submit returns once the transaction is ORDERED (queued to the block cutter, in memory);
CommitStatus returns once its block is durably written. A crash between the two loses the
transaction, never reports it committed, and the client sees CommitStatus fail.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.gateway import gateway_pb2_grpc
from fabric_protos.peer import transaction_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from network.devpeer.blocks import build_block
from network.devpeer.collections import load_collections
from network.devpeer.commits import CommitTracker, TransientStore
from network.devpeer.config import ConfigError, DevPeerConfig
from network.devpeer.deliver import add_deliver_service
from network.devpeer.endorsement import ChaincodeDefinition, Endorser, OrgPeer
from network.devpeer.handler import ChaincodeHandler
from network.devpeer.integrity import ProgressLine
from network.devpeer.ledger import BlockUpdates, Ledger, LedgerError
from network.devpeer.membership import Membership
from network.devpeer.ordering import BlockCutter
from network.devpeer.policy import PolicyError, parse_policy, plan_orgs
from network.devpeer.service import GatewayService
from network.devpeer.transport import StreamRunner, ccaas_connector, in_process_connector
from network.devpeer.validation import Validator
from network.ports import ensure_address_free
from network.msp import load_msp, load_org_msp

__all__ = ["DevPeer", "run_devpeer"]

log = logging.getLogger(__name__)


def _genesis_block(channel: str) -> common_pb2.Block:
    """A minimal config block 0: enough for the chain to start, not a full channel config."""
    nanos = time.time_ns()
    now = Timestamp(seconds=nanos // 1_000_000_000, nanos=nanos % 1_000_000_000)
    header = common_pb2.ChannelHeader(type=common_pb2.CONFIG, channel_id=channel, timestamp=now)
    config = configtx_pb2.ConfigEnvelope(config=configtx_pb2.Config(sequence=0, channel_group=configtx_pb2.ConfigGroup()))
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=config.SerializeToString()
    )
    envelope = common_pb2.Envelope(payload=payload.SerializeToString())
    return build_block(0, b"", [envelope.SerializeToString()], bytes([transaction_pb2.VALID]))


class DevPeer:
    def __init__(self, config: DevPeerConfig, *, stream_runners: Mapping[str, StreamRunner] | None = None) -> None:
        """`stream_runners` replaces the chaincode runtime for in-process chaincodes, by name."""
        self.config = config
        self._stream_runners = dict(stream_runners or {})
        self._server: grpc.aio.Server | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devpeer-commit")
        self._block_event = asyncio.Event()
        self.port = 0
        self.own_org = config.own_org.msp_id

    @property
    def address(self) -> str:
        return f"{self.config.listen.host}:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        config = self.config
        msp_ids = [org.msp_id for org in config.orgs]
        self.membership = Membership({org.msp_id: load_org_msp(org.msp_dir, org.msp_id) for org in config.orgs})
        # Policies count every application org (as Fabric's MAJORITY does); only orgs with a peer
        # can endorse, so a policy those alone cannot satisfy would never commit anything.
        self.chaincodes = {
            cc.name: ChaincodeDefinition(
                name=cc.name,
                version=cc.version,
                policy=parse_policy(cc.endorsement_policy, msp_ids),
                collections=load_collections(cc.collections_config, msp_ids,
                                             peer_orgs=[org.msp_id for org in config.endorsing_orgs])
                if cc.collections_config else {},
            )
            for cc in config.chaincodes
        }
        endorsing = [org.msp_id for org in config.endorsing_orgs]
        for definition in self.chaincodes.values():
            try:
                plan_orgs(definition.policy, endorsing)
            except PolicyError as exc:
                raise ConfigError(
                    f"chaincode {definition.name!r}: its endorsement policy cannot be satisfied by the orgs with "
                    f"peers {endorsing}: {exc}"
                ) from None
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(config.data_dir / "ledger.sqlite", config.channel)
        self._verify_ledger()
        if self.ledger.height == 0:
            genesis = _genesis_block(config.channel)
            self.ledger.append(genesis, [""], bytes([transaction_pb2.VALID]), BlockUpdates())
        self.commits = CommitTracker(self.ledger)
        self.transient = TransientStore()
        self.endorser = Endorser(config.channel, self.ledger, self.chaincodes)
        self.validator = Validator(config.channel, self.ledger, self.membership, self.chaincodes, self.transient.get)
        self.org_peers: dict[str, OrgPeer] = {}
        try:
            self._bind()
        except OSError:
            self.ledger.close()
            raise
        for org in config.endorsing_orgs:
            member = load_msp(org.peer_msp_dir, org.msp_id)
            handlers = {cc.name: ChaincodeHandler(cc.name, self._connector(cc)) for cc in config.chaincodes}
            self.org_peers[org.msp_id] = OrgPeer(
                org.msp_id, member.identity.serialize(), member.signer, self.address, handlers
            )
        self.cutter = BlockCutter(config.block_cutting, self._commit)
        self.cutter.start()
        await self._server.start()
        await self._connect_chaincodes()
        log.info("dev peer for channel %s listening on %s (height %d)", config.channel, self.address, self.ledger.height)

    def _verify_ledger(self) -> None:
        # Every start checks the whole chain, never from a checkpoint: a byte flipped on disk since
        # the last run is what a "verified up to N" mark would hide. Blocks read back later to be
        # served are checked again (Ledger.block), so corruption after start is refused too.
        started = time.monotonic()
        try:
            height = self.ledger.verify_chain(progress=ProgressLine("checking the ledger"))
        except LedgerError:
            self.ledger.close()
            raise
        log.info("ledger verified: %d blocks in %.2f s", height, time.monotonic() - started)

    def _connector(self, cc):
        if cc.ccaas is not None:
            return ccaas_connector(cc.ccaas)
        return in_process_connector(cc.python, cc.name, self._stream_runners.get(cc.name))

    async def _connect_chaincodes(self) -> None:
        for org in self.org_peers.values():
            for handler in org.handlers.values():
                try:
                    await handler.ensure_connected()
                except ConnectionError as exc:
                    # CCaaS servers may start after the peer: connect again on first use.
                    log.warning("%s: %s", org.msp_id, exc)

    def _bind(self) -> None:
        listen = self.config.listen
        self._server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", 100 * 1024 * 1024),
                ("grpc.max_send_message_length", 100 * 1024 * 1024),
                # gRPC sets SO_REUSEPORT by default, so a second peer (another ledger) could listen
                # on the same port and the kernel would share clients between the two: own it.
                ("grpc.so_reuseport", 0),
            ]
        )
        gateway_pb2_grpc.add_GatewayServicer_to_server(GatewayService(self), self._server)
        add_deliver_service(self, self._server)
        target = f"{listen.host}:{listen.port}"
        ensure_address_free(listen.host, listen.port)
        try:
            if listen.tls:
                credentials = grpc.ssl_server_credentials(
                    [(Path(listen.tls_key).read_bytes(), Path(listen.tls_cert).read_bytes())],
                    root_certificates=Path(listen.client_ca).read_bytes() if listen.client_ca else None,
                    require_client_auth=listen.client_ca is not None,
                )
                self.port = self._server.add_secure_port(target, credentials)
            else:
                self.port = self._server.add_insecure_port(target)
        except RuntimeError:  # gRPC's "Failed to bind to address ..."
            self.port = 0
        if not self.port:
            ensure_address_free(listen.host, listen.port)  # taken since the check above: say so
            raise OSError(f"cannot listen on {target}")

    async def stop(self, grace: float = 1.0) -> None:
        if self._server is not None:
            await self._server.stop(grace)
        await self.cutter.stop()
        for org in self.org_peers.values():
            for handler in org.handlers.values():
                await handler.close()
        self._executor.shutdown(wait=True)
        self.ledger.close()

    # -- committing ----------------------------------------------------------------------------
    def _validate_and_append(self, entries: list[bytes]) -> tuple[int, list[str], bytes]:
        number = self.ledger.height
        validated = self.validator.validate_block(number, entries)
        block = build_block(number, self.ledger.last_hash, entries, validated.codes)
        self.ledger.append(block, validated.tx_ids, validated.codes, validated.updates)
        return number, validated.tx_ids, validated.codes

    async def _commit(self, entries: list[bytes]) -> None:
        # Validation reads and the write share one worker thread and connection: a consistent view.
        loop = asyncio.get_running_loop()
        number, tx_ids, codes = await loop.run_in_executor(self._executor, self._validate_and_append, entries)
        self.commits.committed(number, tx_ids, codes)
        self.transient.discard(tx_ids)
        event, self._block_event = self._block_event, asyncio.Event()
        event.set()

    async def wait_for_block(self, number: int) -> None:
        """Return once the ledger height exceeds `number`."""
        while self.ledger.height <= number:
            await self._block_event.wait()


async def run_devpeer(config: DevPeerConfig, *, ready_file: Path | None = None) -> None:
    """Serve until SIGINT/SIGTERM. Prints the listening address (and writes it to `ready_file`)."""
    peer = DevPeer(config)
    await peer.start()
    print(f"devpeer listening on {peer.address} channel={config.channel} height={peer.ledger.height}", flush=True)
    if ready_file is not None:
        ready_file.write_text(peer.address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await peer.stop()
