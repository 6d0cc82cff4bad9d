"""The real-Fabric tier: it uses the session's one network (`fabric_network`, from testkit.fabric via
the root conftest)."""
