"""ACA-Py plumbing for the controllers: admin API client, webhook receiver, exchange deadlines.

    async with AcaPyAdmin(agent.admin_url, agent.api_key) as admin:
        inv = await admin.create_invitation(auto_accept=True)
    receiver = WebhookReceiver(spec.webhook_secret)
    app.add_routes(receiver.routes("/webhooks"))
    receiver.on("issue_credential_v2_0", handler)
    await receiver.waiter.wait_for("issue_credential_v2_0", cred_ex_id, {"done"}, timeout=10)
"""

from controllers.acapy.admin import DIDEXCHANGE_1_1, AcaPyAdmin, dif_request, ld_proof_filter, new_challenge
from controllers.acapy.errors import AcaPyError, AdminApiError, ExchangeAbandoned, ExchangeError, ExchangeTimeout
from controllers.acapy.events import ENDED_STATES, FAILURE_STATES, WebhookEvent
from controllers.acapy.records import ConnectionRecord, CredentialExchange, DidInfo, Invitation, PresentationExchange
from controllers.acapy.waiter import ExchangeWaiter
from controllers.acapy.webhooks import WEBHOOK_SECRET_HEADER, Handler, WebhookReceiver

__all__ = [
    "AcaPyAdmin",
    "DIDEXCHANGE_1_1",
    "dif_request",
    "ld_proof_filter",
    "new_challenge",
    "AcaPyError",
    "AdminApiError",
    "ExchangeError",
    "ExchangeTimeout",
    "ExchangeAbandoned",
    "WebhookEvent",
    "ENDED_STATES",
    "FAILURE_STATES",
    "ConnectionRecord",
    "CredentialExchange",
    "DidInfo",
    "Invitation",
    "PresentationExchange",
    "ExchangeWaiter",
    "WebhookReceiver",
    "Handler",
    "WEBHOOK_SECRET_HEADER",
]
