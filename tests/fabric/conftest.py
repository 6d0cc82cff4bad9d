"""The real-Fabric tier: one network (`emissions network up`) per session, see testkit.fabric."""

from testkit.fabric import fabric_network  # noqa: F401 - the session fixture
