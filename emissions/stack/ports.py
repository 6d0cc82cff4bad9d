"""Before the stack starts anything: are the ports it will listen on free?

A clash found only when the last service binds (after the dev peer, four agents and most
controllers started, about 11 s in) is a raw "Errno 98" and a stack to tear down. Checked first,
it is one line naming every taken port and who wanted it.
"""

from __future__ import annotations

from collections.abc import Mapping

from network.ports import in_use

__all__ = ["PortsTaken", "ensure_free"]


class PortsTaken(RuntimeError):
    """Some of the stack's ports are in use by another process; the message names them."""


def ensure_free(host: str, ports: Mapping[str, int], *, hint: str = "choose another --base-port") -> None:
    """PortsTaken naming each of `ports` (what -> port) that another process listens on."""
    taken = [f"{port} ({what})" for what, port in ports.items() if in_use(host, port)]
    if taken:
        raise PortsTaken(f"port{'s' if len(taken) > 1 else ''} {', '.join(taken)} on {host} "
                         f"{'are' if len(taken) > 1 else 'is'} in use by another process; {hint}")
