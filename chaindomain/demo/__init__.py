"""``chaindomain demo``: a multi-organisation workflow on a local network, with what each
organisation's participant sees and what it cost on the chain (``docs/devnet.md`` §6).

| module | owns |
|---|---|
| ``network.py`` | reuse the running devnet, or start ``devnet up`` and stop it at the end |
| ``context.py`` | the organisations' Ledger API clients, parties and template ids |
| ``workflow.py`` | the steps: accounts, Ious issued, a transfer by propose/accept, a DvP |
| ``privacy.py`` | which participant has which transaction; each one's active contracts |
| ``chain.py`` | the chain summary: batches, block range, gas, bytes per ledger transaction |
| ``runner.py`` | all of it in order |
"""

from chaindomain.demo.chain import ChainSummary
from chaindomain.demo.errors import DemoError, DemoSetupError, DemoStepError
from chaindomain.demo.network import NetworkOptions
from chaindomain.demo.runner import DemoOptions, DemoReport, run_demo
from chaindomain.demo.workflow import WorkflowResult

__all__ = [
    "ChainSummary",
    "DemoError",
    "DemoOptions",
    "DemoReport",
    "DemoSetupError",
    "DemoStepError",
    "NetworkOptions",
    "WorkflowResult",
    "run_demo",
]
