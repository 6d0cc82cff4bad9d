"""The whole system on one machine: dev peer, agents, controllers; and the demo that drives it.

    stack = EmbeddedStack(StackConfig(Path("data/demo")))
    await stack.start()
    report = await run_demo(stack, customers=3)
    await stack.stop()
"""

from controllers.stack.demo import DemoReport, DemoRow, run_demo
from controllers.stack.stack import EmbeddedStack, StackConfig

__all__ = ["DemoReport", "DemoRow", "EmbeddedStack", "StackConfig", "run_demo"]
