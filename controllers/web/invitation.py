"""An invitation shown to the person who is to accept it: a link, the text to copy, a QR code."""

from __future__ import annotations

from controllers.web.layout import h, notice
from controllers.web.qr import QrTooLong, qr_svg

__all__ = ["invitation_block"]


def invitation_block(url: str, *, heading: str = "Invitation for the customer") -> str:
    try:
        qr = f'<div class="qr-box">{qr_svg(url, title="QR code of the invitation")}</div>'
    except QrTooLong:
        qr = notice("This invitation is too long for a QR code; send the link instead.", kind="warning")
    return (f'<div class="card"><h2>{h(heading)}</h2>'
            "<p>Send the customer this link, or let them scan the code with their wallet. They can also paste "
            "the text below on their wallet’s Connect page.</p>"
            f'<p><a href="{h(url)}" rel="noreferrer">Open the invitation</a></p>'
            '<div class="field"><label for="invitation-url">Invitation link</label>'
            f'<textarea id="invitation-url" readonly rows="5" spellcheck="false">{h(url)}</textarea></div>'
            f"{qr}</div>")
