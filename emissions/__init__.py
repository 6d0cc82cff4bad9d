"""The application: the `emissions` command line (`cli/`), the embedded stack it starts (`stack/`),
which wires the four parties' services in `controllers/` to the ledger in `network/`, and a party's
service as a process of its own (`services/`)."""
