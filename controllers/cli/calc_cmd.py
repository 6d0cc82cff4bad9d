"""Placeholder: replaced by the module that owns this command."""


def register(subparsers) -> None:
    pass
