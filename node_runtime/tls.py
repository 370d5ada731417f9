"""The server side of a node's ``[tls]`` section: credentials for its gRPC servers and
an ``ssl`` context for its HTTP endpoints, and the client TLS it dials others with.

Every server of every node binds through :func:`bind_grpc` or serves HTTP with
:meth:`ServerTls.ssl_context`, so TLS (and mutual TLS) is the same everywhere. Files are
read and checked with ``protocol.tls`` (a :class:`~protocol.errors.TlsFileError` names
the file and why); :func:`~node_runtime.config.load_config` has checked them once at
start already, this reads them again when the server binds.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc
import grpc.aio

from node_runtime.config import TlsSection, resolve_path
from protocol.tls import ClientTls, KeyPair, read_ca_bundle, read_key_pair


@dataclass(frozen=True, slots=True)
class ServerTls:
    """A server's certificate and key, and the CA its clients' certificates must chain
    to when mutual TLS is required."""

    pair: KeyPair
    client_ca_file: Path | None = None
    client_ca: bytes | None = None

    @classmethod
    def load(
        cls,
        cert_file: Path,
        key_file: Path,
        client_ca_file: Path | None = None,
        *,
        roles: tuple[str, str, str] = ("tls.cert_file", "tls.key_file", "tls.ca_file"),
    ) -> ServerTls:
        pair = read_key_pair(cert_file, key_file, roles=(roles[0], roles[1]))
        ca = read_ca_bundle(client_ca_file, roles[2]) if client_ca_file is not None else None
        return cls(pair, client_ca_file, ca)

    @property
    def mutual(self) -> bool:
        return self.client_ca is not None

    def grpc_credentials(self) -> grpc.ServerCredentials:
        pairs = [(self.pair.private_key, self.pair.certificate_chain)]
        if self.client_ca is None:
            return grpc.ssl_server_credentials(pairs)
        return grpc.ssl_server_credentials(
            pairs, root_certificates=self.client_ca, require_client_auth=True
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A server context for aiohttp (``web.TCPSite(..., ssl_context=...)``)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.pair.cert_file), str(self.pair.key_file))
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=str(self.client_ca_file))
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def server_tls(section: TlsSection, base_dir: Path | None) -> ServerTls | None:
    """The node's server TLS, ``None`` when ``[tls]`` gives no certificate."""
    if section.cert_file is None or section.key_file is None:
        return None
    client_ca = (
        resolve_path(section.ca_file, base_dir)
        if section.require_client_cert and section.ca_file is not None
        else None
    )
    return ServerTls.load(
        resolve_path(section.cert_file, base_dir),
        resolve_path(section.key_file, base_dir),
        client_ca,
    )


def client_tls(section: TlsSection, base_dir: Path | None) -> ClientTls | None:
    """How the node dials other servers: TLS verified against ``ca_file`` (presenting its
    own certificate to servers that ask for one), plaintext without ``ca_file``."""
    if section.ca_file is None:
        return None
    cert = resolve_path(section.cert_file, base_dir) if section.cert_file else None
    key = resolve_path(section.key_file, base_dir) if section.key_file else None
    return ClientTls(resolve_path(section.ca_file, base_dir), cert, key)


def bind_grpc(server: grpc.aio.Server, address: str, tls: ServerTls | None) -> int:
    """Add ``address`` to ``server`` (TLS with ``tls``); the bound port, 0 if it failed."""
    if tls is None:
        return int(server.add_insecure_port(address))
    return int(server.add_secure_port(address, tls.grpc_credentials()))


def scheme(tls: ServerTls | None) -> str:
    """``https`` or ``http``: how an HTTP endpoint's URL starts."""
    return "https" if tls is not None else "http"
