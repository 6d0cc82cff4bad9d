"""The CCaaS package: Fabric's layout, reproducible bytes, the package id."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

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
