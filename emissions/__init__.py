"""The application: the `emissions` command line (`cli/`) and the embedded stack it starts
(`stack/`), which wires the four parties' services in `controllers/` to the ledger in `network/`."""
