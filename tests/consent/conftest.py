from tests.agent_fixtures import agent_network  # noqa: F401  (session-scoped real agents)
