"""The CCaaS package: Fabric's layout, reproducible bytes, the package id."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emissions.cli.main import main
from network.chaincode_package import CcaasConnection, PackageError, build_ccaas_package


def test_package_has_fabric_ccaas_layout_and_id():
    package = build_ccaas_package("emissions_1.0", CcaasConnection("emissions-cc:9999"))
    with tarfile.open(fileobj=io.BytesIO(package.data), mode="r:gz") as outer:
        assert outer.getnames() == ["metadata.json", "code.tar.gz"]
        assert json.loads(outer.extractfile("metadata.json").read()) == {"label": "emissions_1.0", "type": "ccaas"}
        code = outer.extractfile("code.tar.gz").read()
    with tarfile.open(fileobj=io.BytesIO(code), mode="r:gz") as inner:
        connection = json.loads(inner.extractfile("connection.json").read())
    assert connection["address"] == "emissions-cc:9999" and connection["tls_required"] is False
    assert package.package_id == "emissions_1.0:" + hashlib.sha256(package.data).hexdigest()


def test_same_inputs_same_bytes_and_different_inputs_different_id():
    first = build_ccaas_package("emissions_1.0", CcaasConnection("cc:9999"))
    assert first.data == build_ccaas_package("emissions_1.0", CcaasConnection("cc:9999")).data
    assert first.package_id != build_ccaas_package("emissions_1.0", CcaasConnection("cc:9998")).package_id


def test_bad_label_is_refused():
    with pytest.raises(PackageError, match="label 'bad label' may only hold"):
        build_ccaas_package("bad label", CcaasConnection("cc:1"))


def test_tls_needs_a_root_certificate():
    with pytest.raises(PackageError, match="tls_required needs root_cert"):
        CcaasConnection("cc:9999", tls_required=True)
    with pytest.raises(PackageError, match="must be host:port"):
        CcaasConnection("cc")


def make_pem_pair(common_name: str) -> tuple[str, str]:
    """A self-signed certificate and its private key, as PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


@pytest.fixture
def tls_files(tmp_path):
    files = {}
    for name in ("ca", "peer0", "peer1"):
        cert, key = make_pem_pair(name)
        (tmp_path / f"{name}.crt").write_text(cert)
        (tmp_path / f"{name}.key").write_text(key)
        files[name] = (tmp_path / f"{name}.crt", tmp_path / f"{name}.key")
    return files


def package_chaincode(capsys, *argv) -> tuple[int, str, str]:
    code = main(["ledger", "package-chaincode", "--address", "emissions-cc:9999", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def connection_json(package: bytes) -> dict:
    with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as outer:
        code = outer.extractfile("code.tar.gz").read()
    with tarfile.open(fileobj=io.BytesIO(code), mode="r:gz") as inner:
        return json.loads(inner.extractfile("connection.json").read())


def test_package_chaincode_with_a_client_certificate_makes_a_mutual_tls_package(tmp_path, tls_files, capsys):
    ca_cert, _ = tls_files["ca"]
    peer0_cert, peer0_key = tls_files["peer0"]
    code, out, err = package_chaincode(capsys, "--tls-root-cert", ca_cert, "--client-cert", peer0_cert,
                                       "--client-key", peer0_key, "--out", tmp_path / "mtls.tar.gz")
    assert code == 0, err
    data = (tmp_path / "mtls.tar.gz").read_bytes()
    assert out.strip() == "emissions_1.0:" + hashlib.sha256(data).hexdigest()
    connection = connection_json(data)
    assert connection["tls_required"] is True and connection["root_cert"] == ca_cert.read_text()
    assert connection["client_auth_required"] is True
    assert connection["client_cert"] == peer0_cert.read_text()
    assert connection["client_key"] == peer0_key.read_text()

    # The client material is part of the package, so it is part of the package id.
    code, tls_only, _ = package_chaincode(capsys, "--tls-root-cert", ca_cert, "--out", tmp_path / "tls.tar.gz")
    assert code == 0
    assert connection_json((tmp_path / "tls.tar.gz").read_bytes())["client_auth_required"] is False
    peer1_cert, peer1_key = tls_files["peer1"]
    code, other_client, _ = package_chaincode(capsys, "--tls-root-cert", ca_cert, "--client-cert", peer1_cert,
                                              "--client-key", peer1_key, "--out", tmp_path / "other.tar.gz")
    assert code == 0
    code, again, _ = package_chaincode(capsys, "--tls-root-cert", ca_cert, "--client-cert", peer0_cert,
                                       "--client-key", peer0_key, "--out", tmp_path / "again.tar.gz")
    assert code == 0
    assert len({out, tls_only, other_client}) == 3
    assert again == out  # and it stays reproducible


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tls-root-cert", "ca.crt", "--client-cert", "peer0.crt"],
         "--client-cert needs --client-key: mutual TLS needs the peer's client certificate and its key"),
        (["--tls-root-cert", "ca.crt", "--client-key", "peer0.key"],
         "--client-key needs --client-cert: mutual TLS needs the peer's client certificate and its key"),
        (["--client-cert", "peer0.crt", "--client-key", "peer0.key"],
         "--client-cert and --client-key need --tls-root-cert: mutual TLS is TLS first"),
        (["--tls-root-cert", "ca.crt", "--client-cert", "peer0.key", "--client-key", "peer0.crt"],
         "client certificate {tmp}/peer0.key is not a PEM certificate"),
        (["--tls-root-cert", "ca.crt", "--client-cert", "peer0.crt", "--client-key", "nope.key"],
         "cannot read client key {tmp}/nope.key: No such file or directory"),
    ],
)
def test_package_chaincode_refuses_incomplete_client_auth_in_one_line(flags, message, tmp_path, tls_files, capsys):
    argv = [str(tmp_path / flag) if not flag.startswith("--") else flag for flag in flags]
    code, out, err = package_chaincode(capsys, *argv, "--out", tmp_path / "p.tar.gz")
    assert code == 1 and out == ""
    assert err.splitlines() == [f"emissions: error: {message.format(tmp=tmp_path)}"]
    assert not (tmp_path / "p.tar.gz").exists()


def test_client_auth_needs_tls():
    with pytest.raises(PackageError, match="client_auth_required needs tls_required"):
        CcaasConnection("cc:9999", client_auth_required=True, client_cert="cert", client_key="key")
    with pytest.raises(PackageError, match="client_auth_required needs client_key and client_cert"):
        CcaasConnection("cc:9999", tls_required=True, root_cert="ca", client_auth_required=True, client_cert="c")
