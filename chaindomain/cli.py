"""The ``chaindomain`` command line: one entry point, one module per command group.

Every command reports a failure as one ``error:`` line naming what went wrong and exits
with status 2; a traceback means a bug. Secrets (keystore passwords) are read from files
or environment variables only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chaindomain import __version__
from chaindomain.commands import contract, demo, devnet, domain, identity, keys
from protocol.errors import ProtocolError
from sequencer_chain.errors import SequencerChainError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaindomain",
        description="A multi-party ledger whose domain orders messages on an EVM chain.",
    )
    parser.add_argument("--version", action="version", version=f"chaindomain {__version__}")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    contract.register(groups)
    keys.register(groups)
    devnet.register(groups)
    demo.register(groups)
    identity.register(groups)
    domain.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except (SequencerChainError, ProtocolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
