"""auditor controller."""
