"""The chain-backed sequencer node and its chain boundary.

The ``contract`` sub-package compiles, deploys and talks to the ordering contract;
:mod:`sequencer_chain.anvil` runs a local chain; :mod:`sequencer_chain.chain_keys` loads
chain accounts. web3 errors are translated into :mod:`sequencer_chain.errors` here and
nowhere else.
"""
