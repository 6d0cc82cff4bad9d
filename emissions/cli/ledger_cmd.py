"""`emissions ledger`: the emissions chaincode from the command line, through a Fabric Gateway.

Every subcommand takes --profile (a connection profile TOML, see controllers/ledger/profile.py):

    emissions ledger --profile admin1.toml bootstrap --orgs Auditor1MSP,Auditor2MSP --index-secret-file index.secret
    emissions ledger --profile admin2.toml bootstrap --orgs Auditor1MSP,Auditor2MSP
    emissions ledger --profile admin1.toml load-factors
    emissions ledger --profile admin1.toml register-auditor --msp-id Auditor1MSP --name ... --did did:key:z6Mk...
    emissions ledger --profile admin2.toml approve PROPOSAL_ID
    emissions ledger --profile user1.toml record --utility 14328 --customer-did did:key:... --account A \\
        --service-point SP --auditor-did did:key:... usage.xml
    emissions ledger --profile verifier.toml verify-record RECORD_ID --detail detail.json
    emissions ledger package-chaincode --address chaincode:9999 --out emissions.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from emissions.cli.errors import CliError

JSON = dict[str, Any]


def _print(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


def _with_ledger(args: argparse.Namespace, action: Callable[[Any], Awaitable[int]]) -> int:
    from controllers.ledger import LedgerError, ProfileError, load_profile, open_ledger

    if args.profile is None:
        raise CliError("this command needs --profile FILE (a connection profile)")

    async def run() -> int:
        async with open_ledger(load_profile(args.profile)) as ledger:
            return await action(ledger.client)

    try:
        return asyncio.run(run())
    except (LedgerError, ProfileError) as exc:
        raise CliError(str(exc)) from None


def _index_secret(path: Path | None) -> bytes | None:
    """The secret from --index-secret-file, creating the file with a new secret when missing."""
    from controllers.ledger.index_secret import SecretFileError, create_secret_file, read_secret_file

    if path is None:
        return None
    try:
        if path.exists():
            return read_secret_file(path)
        secret = create_secret_file(path)
    except SecretFileError as exc:
        raise CliError(str(exc)) from None
    print(f"generated a new customer index secret in {path} (mode 0600). Keep it as safe as the private "
          "collection; the other founding orgs need not present it, and if they do it must be this file.",
          file=sys.stderr)
    return secret


def _bootstrap(args: argparse.Namespace) -> int:
    orgs = [org.strip() for org in args.orgs.split(",") if org.strip()]
    secret = _index_secret(args.index_secret_file)

    async def action(ledger) -> int:
        _print(await ledger.bootstrap(orgs, secret))
        return 0

    return _with_ledger(args, action)


def _load_factors(args: argparse.Namespace) -> int:
    from chaincode.emissions.shipped import load_editions, load_fuel_editions, load_utilities

    editions = {edition.edition: edition for edition in load_editions()}
    fuels = {edition.edition: edition for edition in load_fuel_editions()}
    if args.edition in fuels:
        async def load_fuels(ledger) -> int:
            _print(await ledger.load_fuel_edition(fuels[args.edition]))
            return 0

        return _with_ledger(args, load_fuels)
    if args.edition not in editions:
        raise CliError(f"no shipped edition {args.edition!r}; shipped: {', '.join([*editions, *fuels])}")

    def progress(step) -> None:
        print(f"  {step.step}: {step.done}/{step.total}", file=sys.stderr, flush=True)

    async def action(ledger) -> int:
        print(f"loading {args.edition} in batches of {args.batch_size}", file=sys.stderr)
        sealed = await ledger.load_edition(editions[args.edition], load_utilities(), batch_size=args.batch_size,
                                           progress=progress)
        _print(sealed | {"us": None, "provenance": None})
        return 0

    return _with_ledger(args, action)


def _register_auditor(args: argparse.Namespace) -> int:
    from controllers.ledger import AuditorSpec

    spec = AuditorSpec(args.msp_id, args.name, tuple(args.did), args.key_agreement_key)

    async def action(ledger) -> int:
        _print(await ledger.propose_auditor(spec))
        return 0

    return _with_ledger(args, action)


def _set_status(args: argparse.Namespace) -> int:
    async def action(ledger) -> int:
        _print(await ledger.propose_status_change(args.msp_id, args.action, args.reason))
        return 0

    return _with_ledger(args, action)


def _approve(args: argparse.Namespace) -> int:
    async def action(ledger) -> int:
        _print(await ledger.approve(args.proposal_id))
        return 0

    return _with_ledger(args, action)


def _record(args: argparse.Namespace) -> int:
    from emissions.cli.calc_cmd import read_periods
    from controllers.ledger import BillReference, CustomerDetail, RecordRequest

    bill = args.file.read_bytes()
    bill_hash = hashlib.sha256(bill).hexdigest()
    periods = read_periods(args.file)
    if args.period is not None:
        if not 1 <= args.period <= len(periods):
            raise CliError(f"--period must be from 1 to {len(periods)} (the file's billing periods)")
        periods = [periods[args.period - 1]]

    async def action(ledger) -> int:
        results = []
        for period in periods:
            request = RecordRequest(
                utility_id=args.utility, period_start=period.start, period_end=period.end,
                edition=args.edition, auditor_did=args.auditor_did, supersedes=args.supersedes or "",
            )
            detail = CustomerDetail(args.customer_did, args.account, args.service_point, period.kwh,
                                    BillReference(args.bill_format, args.bill_content_id or f"sha256:{bill_hash}",
                                                  bill_hash), period.hourly_kwh)
            outcome = await ledger.record_emissions(request, detail)
            results.append({"record": outcome.record, "replayed": outcome.replayed})
            print(f"  {period.start:%Y-%m-%d}..{period.end:%Y-%m-%d}: record {outcome.record_id}"
                  f"{' (existing)' if outcome.replayed else ''}", file=sys.stderr)
        _print(results)
        return 0

    return _with_ledger(args, action)


def _get_record(args: argparse.Namespace) -> int:
    async def action(ledger) -> int:
        record = await ledger.get_record(args.record_id)
        if args.detail:
            record = {"record": record, "detail": await ledger.get_record_detail(args.record_id)}
        _print(record)
        return 0

    return _with_ledger(args, action)


def _verify_record(args: argparse.Namespace) -> int:
    from controllers.ledger import detail_hash

    if (args.hash is None) == (args.detail is None):
        raise CliError("give exactly one of --hash HEX or --detail FILE (the record detail JSON)")
    if args.detail is not None:
        try:
            digest = detail_hash(args.detail.read_bytes())
        except (OSError, ValueError) as exc:
            raise CliError(f"{args.detail}: {exc}") from None
    else:
        digest = args.hash

    async def action(ledger) -> int:
        verdict = await ledger.verify_record(args.record_id, digest)
        _print(verdict)
        return 0 if verdict["matches"] else 3

    return _with_ledger(args, action)


def _package(args: argparse.Namespace) -> int:
    from network.chaincode_package import CcaasConnection, PackageError, build_ccaas_package, read_pem

    if bool(args.client_cert) != bool(args.client_key):
        given, missing = ("--client-cert", "--client-key") if args.client_cert else ("--client-key", "--client-cert")
        raise CliError(f"{given} needs {missing}: mutual TLS needs the peer's client certificate and its key")
    if args.client_cert and not args.tls_root_cert:
        raise CliError("--client-cert and --client-key need --tls-root-cert: mutual TLS is TLS first")
    try:
        root_cert = read_pem(args.tls_root_cert, "TLS root certificate", "certificate") if args.tls_root_cert else ""
        client_cert = read_pem(args.client_cert, "client certificate", "certificate") if args.client_cert else ""
        client_key = read_pem(args.client_key, "client key", "private key") if args.client_key else ""
        connection = CcaasConnection(args.address, tls_required=bool(root_cert), root_cert=root_cert,
                                     client_auth_required=bool(client_cert), client_cert=client_cert,
                                     client_key=client_key)
        package = build_ccaas_package(args.label, connection)
    except (PackageError, OSError) as exc:
        raise CliError(str(exc)) from None
    package.write(args.out)
    print(package.package_id)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ledger", help="register auditors, load factors, record and verify emissions",
                                   description="Call the emissions chaincode through a Fabric Gateway.")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="connection profile (TOML)")
    commands = parser.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)

    bootstrap = commands.add_parser("bootstrap", help="approve the founding governing orgs (org admin)")
    bootstrap.add_argument("--orgs", required=True, help="comma-separated MSP ids, e.g. Auditor1MSP,Auditor2MSP")
    bootstrap.add_argument("--index-secret-file", type=Path, default=None,
                           help="file with the customer index secret (64 hex characters, mode 0600); created "
                                "with a new secret if missing. Required of the first founding org to bootstrap")
    bootstrap.set_defaults(handler=_bootstrap)

    load = commands.add_parser("load-factors", help="load and seal a shipped eGRID edition, or a fuel edition "
                               "for Scope 1 such as GHGHub2024 (org admin)")
    load.add_argument("--edition", default="eGRID2023")
    load.add_argument("--batch-size", type=int, default=500, help="utilities / regions per transaction")
    load.set_defaults(handler=_load_factors)

    auditor = commands.add_parser("register-auditor", help="propose registering an auditor org (org admin)")
    auditor.add_argument("--msp-id", required=True)
    auditor.add_argument("--name", required=True)
    auditor.add_argument("--did", required=True, action="append", help="issuer did:key (repeatable)")
    auditor.add_argument("--key-agreement-key", required=True, help="multibase public key for bill encryption")
    auditor.set_defaults(handler=_register_auditor)

    status = commands.add_parser("set-status", help="propose deactivating or reactivating an auditor (org admin)")
    status.add_argument("msp_id")
    status.add_argument("action", choices=("deactivate", "reactivate"))
    status.add_argument("--reason", required=True)
    status.set_defaults(handler=_set_status)

    approve = commands.add_parser("approve", help="approve a registry proposal (org admin)")
    approve.add_argument("proposal_id")
    approve.set_defaults(handler=_approve)

    record = commands.add_parser("record", help="record each billing period of a Green Button file")
    record.add_argument("file", type=Path, help="Green Button (ESPI) XML file: the plaintext bill")
    record.add_argument("--utility", type=int, required=True, metavar="EIA_ID")
    record.add_argument("--customer-did", required=True)
    record.add_argument("--account", required=True)
    record.add_argument("--service-point", required=True)
    record.add_argument("--auditor-did", required=True, help="the did:key the credential will be issued under")
    record.add_argument("--edition", default="eGRID2023")
    record.add_argument("--bill-format", default="espi-atom+xml")
    record.add_argument("--bill-content-id", help="content id of the encrypted bill (default: sha256:<bill hash>)")
    record.add_argument("--period", type=int, help="only the N-th billing period (1-based)")
    record.add_argument("--supersedes", help="record id this record replaces")
    record.set_defaults(handler=_record)

    get = commands.add_parser("get-record", help="print a public record")
    get.add_argument("record_id")
    get.add_argument("--detail", action="store_true", help="also the private detail (collection members only)")
    get.set_defaults(handler=_get_record)

    verify = commands.add_parser("verify-record", help="check a record detail against the ledger's hash "
                                 "(exit 3 when it does not match)")
    verify.add_argument("record_id")
    verify.add_argument("--hash", help="SHA-256 hex of the canonical record detail")
    verify.add_argument("--detail", type=Path, help="the record detail JSON; hashed in canonical form")
    verify.set_defaults(handler=_verify_record)

    from emissions.cli import ledger_verify_cmd  # a dev peer's ledger on disk, offline: no --profile

    ledger_verify_cmd.add_parser(commands)

    package = commands.add_parser("package-chaincode", help="build the CCaaS package and print its package id")
    package.add_argument("--label", default="emissions_1.0")
    package.add_argument("--address", required=True, help="host:port where peers reach the chaincode server")
    package.add_argument("--tls-root-cert", type=Path, help="PEM of the chaincode server's TLS CA (enables TLS)")
    package.add_argument("--client-cert", type=Path, metavar="PEM",
                         help="the peer's TLS client certificate, for a chaincode server that requires mutual TLS "
                              "(with --client-key and --tls-root-cert)")
    package.add_argument("--client-key", type=Path, metavar="PEM", help="the private key of --client-cert")
    package.add_argument("--out", type=Path, required=True, help="package file to write (.tar.gz)")
    package.set_defaults(handler=_package)
