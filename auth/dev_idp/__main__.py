"""``python -m auth.dev_idp --config idp.toml [--host H] [--port P] [--state-dir D] [--rotate]``

Starts the development IdP and prints one JSON line on stdout once it listens::

    {"event": "listening", "url": "http://127.0.0.1:41234", "issuer": "…", "jwks_uri": "…"}

so that a script (or a test) started with ``--port 0`` learns the port, then the
``READY {"http": url, "jwks": jwks_uri}`` line every node prints (``docs/nodes.md`` §1),
so that the devnet supervises it like the other nodes. Logs go to stderr
as JSON lines. ``--rotate`` rotates the signing keys at start-up (previous keys stay in the
JWKS for the configured grace period). SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from auth.dev_idp.config import IdpConfig
from auth.dev_idp.server import DevIdp
from auth.errors import SigningKeyStoreError
from node_runtime import configure_logging
from node_runtime.config import check_node_security, load_config
from node_runtime.errors import NodeRuntimeError
from node_runtime.process import ready_line
from protocol.errors import TlsError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m auth.dev_idp", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML config (clients, keys, ports)")
    parser.add_argument("--host", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (0: any free port)")
    parser.add_argument("--state-dir", type=Path, help="where the signing keys persist")
    parser.add_argument("--rotate", action="store_true", help="rotate signing keys at start")
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


async def serve(config: IdpConfig, base_dir: Path | None, rotate: bool) -> None:
    idp = DevIdp(config, base_dir=base_dir)
    if rotate:
        idp.keys.rotate()
    await idp.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    line = {"event": "listening", "url": idp.url, "issuer": idp.issuer, "jwks_uri": idp.jwks_url}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.write(ready_line({"http": idp.url, "jwks": idp.jwks_url}) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await idp.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("dev-idp", args.log_level)
    try:
        source = str(args.config) if args.config is not None else "<defaults>"
        if args.config is not None:
            config = load_config(args.config, IdpConfig)  # checks [tls] and the exposure
            base_dir: Path | None = args.config.resolve().parent
        else:
            config, base_dir = IdpConfig(), Path.cwd()
        overrides = {
            k: v
            for k, v in (("host", args.host), ("port", args.port), ("state_dir", args.state_dir))
            if v is not None
        }
        if overrides or args.config is None:
            config = config.model_copy(update=overrides)
            check_node_security(config, source, base_dir)
        asyncio.run(serve(config, base_dir, args.rotate))
    except (NodeRuntimeError, SigningKeyStoreError, TlsError, OSError) as exc:
        sys.stderr.write(f"dev IdP: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
