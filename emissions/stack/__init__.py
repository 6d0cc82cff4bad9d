"""The whole system on one machine: dev peer, agents, controllers; and the demo, a client of their
public HTTP APIs.

    stack = EmbeddedStack(StackConfig(Path("data/demo")))
    await stack.start()
    async with aiohttp.ClientSession() as http:
        report = await run_demo(stack.client(http), customers=3)
    await stack.stop()
"""

from emissions.stack.demo import DemoReport, DemoRow, StackClient, run_demo
from emissions.stack.stack import EmbeddedStack, StackConfig

__all__ = ["DemoReport", "DemoRow", "EmbeddedStack", "StackClient", "StackConfig", "run_demo"]
