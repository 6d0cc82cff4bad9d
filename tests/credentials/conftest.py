from testkit.agents import agent_network  # noqa: F401  (session-scoped: the four real agents)
from tests.credentials.world import ledger_world, ledger_world_without_webhooks, parties  # noqa: F401
