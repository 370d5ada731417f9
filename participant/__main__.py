"""Run a participant as its own process: ``python -m participant --config participant.toml
[--log-level INFO]``.

Prints ``READY {"grpc": "<host:port of the Ledger API>", "ops": "<url>", "participant":
"<id>"}`` once it is onboarded, recovered, connected and serving. Exits 0 on
SIGINT/SIGTERM, 1 if the node fails, 2 on a configuration error (``docs/nodes.md`` §1;
``node_runtime.process``).
"""

from __future__ import annotations

import sys

from node_runtime.member import MemberRuntimeError
from node_runtime.process import NodeProgram, run_node_program
from participant.errors import ParticipantError
from participant.node import ParticipantNode, load_participant_config
from participant.node.errors import ParticipantConfigError
from protocol.errors import ProtocolError

PROGRAM: NodeProgram[ParticipantNode] = NodeProgram(
    package="participant",
    title="participant",
    build=lambda path: ParticipantNode(load_participant_config(path)),
    ready=lambda node: {
        "grpc": node.grpc_endpoint,
        "ops": node.ops.url if node.ops else "",
        "participant": node.participant,
    },
    config_errors=(ParticipantConfigError,),
    start_errors=(ParticipantError, MemberRuntimeError, ProtocolError),
)


def main(argv: list[str] | None = None) -> int:
    return run_node_program(PROGRAM, argv)


if __name__ == "__main__":
    sys.exit(main())
