"""Topology management shared by every node: mappings, signed topology transactions, the
deterministic state machine, snapshots, the store and genesis. Specified in
``docs/topology.md``."""
