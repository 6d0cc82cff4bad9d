from testkit.agents import agent_network  # noqa: F401  (session-scoped: the four real agents)
from tests.credentials.world import ledger_world, parties  # noqa: F401
