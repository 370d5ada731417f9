"""The local network: node processes under a supervisor, its state directory and state file.

``chaindomain devnet up`` builds the network (``network.py``: the domain through the shared
``init_domain`` in ``domain.py``, node configs in ``configs.py``, the CA and the nodes'
certificates in ``certs.py``, the identity provider's clients and tokens in ``access.py``,
the organisations' packages, parties and users in ``participants.py``) and runs it under
a :class:`Supervisor`;
``devnet status`` and ``devnet down`` read the state file and signal the supervisor
(``control.py``). See ``docs/devnet.md``.
"""

from chaindomain.devnet.errors import (
    BootstrapError,
    DevnetError,
    DevnetNotRunningError,
    DevnetRunningError,
    NodeStartError,
    StateFileError,
)
from chaindomain.devnet.network import UpOptions, run_network
from chaindomain.devnet.participants import Organisation
from chaindomain.devnet.process import NodeProcess, NodeSpec, log_tail, parse_ready_line
from chaindomain.devnet.state import DevnetLock, DevnetState, NodeState, is_running, load_state
from chaindomain.devnet.supervisor import NodeExited, NodeReady, RestartPolicy, Supervisor

__all__ = [
    "BootstrapError",
    "DevnetError",
    "DevnetLock",
    "DevnetNotRunningError",
    "DevnetRunningError",
    "DevnetState",
    "NodeExited",
    "NodeProcess",
    "NodeReady",
    "NodeSpec",
    "NodeStartError",
    "NodeState",
    "Organisation",
    "RestartPolicy",
    "StateFileError",
    "Supervisor",
    "UpOptions",
    "is_running",
    "load_state",
    "log_tail",
    "parse_ready_line",
    "run_network",
]
