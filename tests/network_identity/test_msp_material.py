from __future__ import annotations

import shutil
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emissions.cli.main import main as cli_main
from network.identity import verify_signature
from network.msp import (
    MspError,
    generate_crypto_material,
    load_crypto_config,
    load_msp,
    load_org_msp,
    parse_crypto_config,
    read_node_ous,
)


def _pem(path: Path) -> bytes:
    return path.read_bytes()


def test_default_layout_matches_cryptogen(crypto):
    auditor = crypto.org("Auditor1MSP")
    assert auditor.root == crypto.out_dir / "peerOrganizations" / "auditor1.example.com"
    assert [p.name for p in auditor.peers] == ["peer0.auditor1.example.com"]
    assert [u.name for u in auditor.users] == ["Admin@auditor1.example.com", "User1@auditor1.example.com"]
    assert auditor.ca_cert.name == "ca.auditor1.example.com-cert.pem" and auditor.ca_key.is_file()
    operator = crypto.org("OperatorMSP")
    assert operator.root == crypto.out_dir / "ordererOrganizations" / "operator.example.com"
    assert [o.name for o in operator.orderers] == ["orderer0.operator.example.com"] and operator.peers == ()
    peer = auditor.peers[0]
    for path in (peer.signcert, peer.private_key, peer.tls_cert, peer.tls_key, peer.tls_ca,
                 peer.msp_dir / "config.yaml", auditor.msp_dir / "tlscacerts" / "tlsca.auditor1.example.com-cert.pem"):
        assert path.is_file(), path
    assert peer.tls_cert.name == "server.crt" and auditor.admin.tls_cert.name == "client.crt"
    # NodeOUs make admincerts unnecessary, so none are written.
    assert not list(crypto.out_dir.rglob("admincerts"))


@pytest.mark.parametrize(
    ("msp_id", "who", "role"),
    [
        ("Auditor1MSP", "peer0", "peer"),
        ("Auditor1MSP", "Admin", "admin"),
        ("Auditor2MSP", "User1", "client"),
        ("OperatorMSP", "orderer0", "orderer"),
        ("OperatorMSP", "Admin", "admin"),
    ],
)
def test_roles_come_from_node_ous(crypto, msp_id, who, role):
    org = crypto.org(msp_id)
    node = next((n for n in org.nodes if n.name.startswith(who + ".")), None) or org.user(who)
    member = load_msp(node.msp_dir, msp_id)
    assert member.role == role
    assert load_org_msp(org.msp_dir, msp_id).validate(member.identity.credentials) == role
    signature = member.signer.sign(b"m")
    assert verify_signature(member.identity.credentials, b"m", signature)


def test_node_ous_config(crypto):
    ous = read_node_ous(crypto.org("Auditor1MSP").msp_dir)
    assert ous.enabled
    assert {r: i.ou for r, i in ous.identifiers.items()} == {r: r for r in ("client", "peer", "admin", "orderer")}
    assert {i.certificate for i in ous.identifiers.values()} == {"cacerts/ca.auditor1.example.com-cert.pem"}


def test_private_keys_are_owner_only(crypto):
    keys = [p for p in crypto.out_dir.rglob("*") if p.name in {"priv_sk", "server.key", "client.key"}]
    assert len(keys) >= 12
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys)


def test_tls_certificate_names_cover_host_and_loopback(crypto):
    peer = crypto.org("Auditor1MSP").peers[0]
    certificate = x509.load_pem_x509_certificate(_pem(peer.tls_cert))
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"peer0.auditor1.example.com", "peer0", "localhost"}
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    tlsca = x509.load_pem_x509_certificate(_pem(peer.tls_ca))
    certificate.verify_directly_issued_by(tlsca)
    assert _pem(peer.tls_ca) == _pem(crypto.org("Auditor1MSP").tlsca_cert)


def test_other_org_and_tls_certificates_are_not_members(crypto):
    a1, a2 = crypto.org("Auditor1MSP"), crypto.org("Auditor2MSP")
    msp = load_org_msp(a2.msp_dir, "Auditor2MSP")
    with pytest.raises(MspError, match="not issued by a CA in .*auditor2.example.com/msp/cacerts"):
        msp.validate(_pem(a1.peers[0].signcert))
    # TLS certificates come from the TLS CA, which is not an identity CA.
    with pytest.raises(MspError, match="not issued by a CA"):
        msp.validate(_pem(a2.peers[0].tls_cert))
    with pytest.raises(MspError, match="not a PEM X.509"):
        msp.validate(b"junk")


def test_validity_is_checked_at_the_given_time(crypto):
    org = crypto.org("Auditor1MSP")
    msp = load_org_msp(org.msp_dir, "Auditor1MSP")
    pem = _pem(org.user("User1").signcert)
    with pytest.raises(MspError, match="expired"):
        msp.validate(pem, at=datetime.now(timezone.utc) + timedelta(days=400))
    with pytest.raises(MspError, match="not valid before"):
        msp.validate(pem, at=datetime(2000, 1, 1))
    with pytest.raises(MspError, match="expired"):
        load_msp(org.user("User1").msp_dir, "Auditor1MSP", at=datetime.now(timezone.utc) + timedelta(days=400))


def _ca_key(org) -> ec.EllipticCurvePrivateKey:
    return serialization.load_pem_private_key(org.ca_key.read_bytes(), None)  # type: ignore[return-value]


def _leaf(org, *, unit: str | None, not_after: datetime, key=None) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    ca = x509.load_pem_x509_certificate(_pem(org.ca_cert))
    name = [x509.NameAttribute(NameOID.COMMON_NAME, "someone")]
    if unit:
        name.insert(0, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    certificate = (
        x509.CertificateBuilder().subject_name(x509.Name(name)).issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(not_after - timedelta(days=30))
        .not_valid_after(not_after).sign(_ca_key(org), hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key


def test_expired_signcert_names_the_file(fresh_crypto):
    org = fresh_crypto.org("Auditor1MSP")
    user = org.user("User1")
    pem, key = _leaf(org, unit="client", not_after=datetime.now(timezone.utc) - timedelta(days=1))
    user.signcert.write_bytes(pem)
    user.private_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(MspError, match=rf"{user.signcert}: certificate expired"):
        load_msp(user.msp_dir, "Auditor1MSP")


def test_certificate_without_node_ou_is_rejected(fresh_crypto):
    org = fresh_crypto.org("Auditor1MSP")
    pem, _ = _leaf(org, unit=None, not_after=datetime.now(timezone.utc) + timedelta(days=1))
    with pytest.raises(MspError, match="none of the NodeOU roles.*config.yaml"):
        load_org_msp(org.msp_dir, "Auditor1MSP").validate(pem)


def test_key_not_matching_certificate_names_the_keystore(fresh_crypto):
    user = fresh_crypto.org("Auditor1MSP").user("User1")
    other = fresh_crypto.org("Auditor1MSP").admin.private_key
    shutil.copy(other, user.private_key)
    with pytest.raises(MspError, match=rf"{user.msp_dir / 'keystore'}: no private key matches"):
        load_msp(user.msp_dir, "Auditor1MSP")


def test_keystore_file_names_are_free(fresh_crypto):
    user = fresh_crypto.org("Auditor1MSP").user("User1")
    (user.msp_dir / "keystore" / "0000_decoy_sk").write_bytes(fresh_crypto.org("Auditor1MSP").admin.private_key.read_bytes())
    user.private_key.rename(user.msp_dir / "keystore" / "abcdef0123_sk")
    assert load_msp(user.msp_dir, "Auditor1MSP").role == "client"


@pytest.mark.parametrize("piece", ["signcerts", "keystore", "cacerts"])
def test_missing_pieces_name_the_folder(fresh_crypto, piece):
    user = fresh_crypto.org("Auditor2MSP").user("User1")
    shutil.rmtree(user.msp_dir / piece)
    if piece == "cacerts":
        # a signing MSP without cacerts is usable (no chain check), the verifying MSP is not
        assert load_msp(user.msp_dir, "Auditor2MSP").role is None
        with pytest.raises(MspError, match=rf"{user.msp_dir / 'cacerts'}: folder is missing"):
            load_org_msp(user.msp_dir, "Auditor2MSP")
    else:
        with pytest.raises(MspError, match=rf"{user.msp_dir / piece}: folder is missing"):
            load_msp(user.msp_dir, "Auditor2MSP")


def test_garbage_files_name_the_file(fresh_crypto):
    user = fresh_crypto.org("Auditor2MSP").user("User1")
    user.private_key.write_text("nope")
    with pytest.raises(MspError, match=rf"{user.private_key}: not an unencrypted PEM private key"):
        load_msp(user.msp_dir, "Auditor2MSP")
    user.signcert.write_text("nope")
    with pytest.raises(MspError, match=rf"{user.signcert}: not a PEM X.509"):
        load_msp(user.msp_dir, "Auditor2MSP")
    (user.msp_dir / "config.yaml").write_text("NodeOUs: [unclosed")
    with pytest.raises(MspError, match="config.yaml: not readable YAML"):
        load_org_msp(user.msp_dir, "Auditor2MSP")


def test_validate_identity_checks_msp_id(crypto):
    member = load_msp(crypto.org("Auditor1MSP").peers[0].msp_dir, "Auditor1MSP")
    msp = load_org_msp(crypto.org("Auditor2MSP").msp_dir, "Auditor2MSP")
    with pytest.raises(MspError, match="belongs to Auditor1MSP"):
        msp.validate_identity(member.identity)


def test_rerun_keeps_keys_and_certificates_force_replaces(fresh_crypto):
    out = fresh_crypto.out_dir
    files = [p for p in out.rglob("*") if p.is_file()]
    before = {p: p.read_bytes() for p in files}
    generate_crypto_material(out)
    assert {p: p.read_bytes() for p in files} == before
    generate_crypto_material(out, force=True)
    key = fresh_crypto.org("Auditor1MSP").ca_key
    assert key.read_bytes() != before[key]
    assert load_msp(fresh_crypto.org("Auditor1MSP").peers[0].msp_dir, "Auditor1MSP").role == "peer"


def test_rerun_reissues_certificates_when_the_ca_changes(fresh_crypto):
    org = fresh_crypto.org("Auditor1MSP")
    node_key = org.peers[0].private_key.read_bytes()
    org.ca_key.unlink()  # a new CA key is made, so every member certificate must be re-issued
    generate_crypto_material(fresh_crypto.out_dir)
    assert org.peers[0].private_key.read_bytes() == node_key
    assert load_msp(org.peers[0].msp_dir, "Auditor1MSP").role == "peer"


def test_orderer_count_is_configurable(tmp_path):
    config = parse_crypto_config({"orderer_orgs": [{"msp_id": "OperatorMSP", "domain": "operator.example.com", "orderers": 3}]})
    layout = generate_crypto_material(tmp_path, config)
    assert [o.name for o in layout.org("OperatorMSP").orderers] == [f"orderer{i}.operator.example.com" for i in range(3)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no \\[\\[peer_orgs\\]\\]"),
        ('[[peer_orgs]]\nmsp_id = "A"\ndomain = "Not A Domain"', "domain"),
        ('[[peer_orgs]]\nmsp_id = "A"\ndomain = "a.example.com"\npeers = -1', "peers must be an integer"),
        ('[[peer_orgs]]\nmsp_id = "A"\ndomain = "a.example.com"\nusers = ["Admin"]', "must not list Admin"),
        ('[[peer_orgs]]\nmsp_id = "A"\ndomain = "a.example.com"\ncolour = 1', "unknown keys"),
        ('[[peer_orgs]]\nmsp_id = "A"\ndomain = "a.example.com"\n[[peer_orgs]]\nmsp_id = "A"\ndomain = "b.example.com"', "duplicate msp_id"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_crypto_config_names_the_problem(tmp_path, text, problem):
    path = tmp_path / "crypto.toml"
    path.write_text(text)
    with pytest.raises(MspError, match=problem):
        load_crypto_config(path)


def test_cli_generate(tmp_path, capsys):
    assert cli_main(["crypto", "generate", "--out", str(tmp_path / "c")]) == 0
    assert "Auditor2MSP" in capsys.readouterr().out
    assert (tmp_path / "c/ordererOrganizations/operator.example.com/orderers/orderer0.operator.example.com/tls/server.crt").is_file()
    assert cli_main(["crypto", "generate", "--config", str(tmp_path / "missing.toml")]) == 1
    assert "missing.toml: cannot read" in capsys.readouterr().err
