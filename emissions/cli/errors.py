"""The one error type the command line shows as-is."""


class CliError(Exception):
    """An error meant for the person at the terminal: its message is the whole story."""
