"""One party's service as a process of its own, configured by a file: what a deployment runs when
the parties do not share the embedded stack (`emissions auditor serve`)."""
