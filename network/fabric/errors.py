"""The one error of the Fabric network package: a sentence for the person at the terminal."""


class FabricError(Exception):
    """The network could not be brought up, queried or stopped; the message says why in one line."""
