from testkit.agents import agent_network  # noqa: F401  (session-scoped: the real ACA-Py agents)
