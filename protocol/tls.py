"""Transport security shared by every client and server: PEM files checked before use,
and the client side of a TLS connection (gRPC channels, ``ssl`` contexts for HTTP).

A file is read and checked once, where it is configured, so that a node or a client
fails with a :class:`~protocol.errors.TlsFileError` naming the file and the reason
(missing, not PEM, expired, not yet valid, key not matching its certificate) instead
of an opaque handshake failure later. A handshake that fails on the *server's*
certificate is explained by :func:`diagnose_server`: it dials the server once with
Python's ``ssl`` and returns the verifier's own words ("certificate has expired",
"unable to get local issuer certificate", "Hostname mismatch ...") as an
:class:`~protocol.errors.UntrustedServerError`.

The server side (the node's ``[tls]`` section, server credentials) lives in
``node_runtime.tls``; this module has no configuration of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
import grpc.aio
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from protocol.errors import TlsFileError, UntrustedServerError

ChannelOptions = Sequence[tuple[str, int | str]]


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TlsFileError(path, role, "no such file") from None
    except OSError as exc:
        raise TlsFileError(path, role, f"cannot read: {exc.strerror or exc}") from None


def _check_validity(cert: x509.Certificate, path: Path, role: str, now: datetime.datetime) -> None:
    if now > cert.not_valid_after_utc:
        raise TlsFileError(
            path, role, f"certificate expired on {cert.not_valid_after_utc.isoformat()}"
        )
    if now < cert.not_valid_before_utc:
        raise TlsFileError(
            path, role, f"certificate not valid before {cert.not_valid_before_utc.isoformat()}"
        )


def read_certificates(
    path: Path, role: str = "certificate", *, now: datetime.datetime | None = None
) -> tuple[bytes, list[x509.Certificate]]:
    """The PEM bytes and certificates of ``path``; the first (the leaf of a chain) must
    be valid ``now``. ``role`` names the file in errors (``tls.cert_file``, …)."""
    data = _read(path, role)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TlsFileError(path, role, "not a PEM certificate") from None
    _check_validity(certs[0], path, role, now or datetime.datetime.now(datetime.UTC))
    return data, certs


def read_ca_bundle(
    path: Path, role: str = "CA bundle", *, now: datetime.datetime | None = None
) -> bytes:
    """The PEM bytes of a trusted CA bundle; at least one of its certificates must be a
    CA valid ``now``."""
    data = _read(path, role)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TlsFileError(path, role, "not a PEM certificate bundle") from None
    moment = now or datetime.datetime.now(datetime.UTC)
    valid = [c for c in certs if c.not_valid_before_utc <= moment <= c.not_valid_after_utc]
    if not valid:
        _check_validity(certs[0], path, role, moment)
    return data


def read_private_key(path: Path, role: str = "private key") -> tuple[bytes, PrivateKeyTypes]:
    """The PEM bytes and key of an unencrypted PEM private key file."""
    data = _read(path, role)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise TlsFileError(
            path, role, "the key is encrypted; give an unencrypted PEM key"
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TlsFileError(path, role, f"not a PEM private key ({exc})") from None
    return data, key


def _spki(public_key: PublicKeyTypes) -> bytes:
    """The DER SubjectPublicKeyInfo: equal exactly when two public keys are the same."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate chain and its private key, read and checked."""

    cert_file: Path
    key_file: Path
    certificate_chain: bytes
    private_key: bytes
    not_valid_after: datetime.datetime


def read_key_pair(
    cert_file: Path,
    key_file: Path,
    *,
    roles: tuple[str, str] = ("certificate", "private key"),
    now: datetime.datetime | None = None,
) -> KeyPair:
    """Read ``cert_file`` (PEM chain, leaf first) and ``key_file``; the key must be the
    leaf certificate's (:class:`TlsFileError` on ``key_file`` otherwise)."""
    chain, certs = read_certificates(cert_file, roles[0], now=now)
    key_pem, key = read_private_key(key_file, roles[1])
    if _spki(key.public_key()) != _spki(certs[0].public_key()):
        raise TlsFileError(key_file, roles[1], f"does not belong to the certificate in {cert_file}")
    return KeyPair(cert_file, key_file, chain, key_pem, certs[0].not_valid_after_utc)


@dataclass(frozen=True, slots=True)
class ClientTls:
    """How a client dials a TLS server: the CA bundle it trusts and, for servers that
    require one (mutual TLS), its own certificate and key."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None
    """Check the server certificate against this name instead of the dialled host."""

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both cert_file and key_file, or neither")

    def key_pair(self) -> KeyPair | None:
        if self.cert_file is None or self.key_file is None:
            return None
        return read_key_pair(
            self.cert_file, self.key_file, roles=("client certificate", "client key")
        )

    def check(self) -> None:
        """Read every file now (:class:`TlsFileError` naming the bad one)."""
        read_ca_bundle(self.ca_file, "trusted CA bundle")
        self.key_pair()

    def channel_credentials(self) -> grpc.ChannelCredentials:
        roots = read_ca_bundle(self.ca_file, "trusted CA bundle")
        pair = self.key_pair()
        return grpc.ssl_channel_credentials(
            root_certificates=roots,
            private_key=pair.private_key if pair else None,
            certificate_chain=pair.certificate_chain if pair else None,
        )

    def ssl_context(self, *, system_roots: bool = False) -> ssl.SSLContext:
        """A client context for HTTP (aiohttp, urllib); ``system_roots`` also trusts the
        system's CAs (for public identity providers)."""
        read_ca_bundle(self.ca_file, "trusted CA bundle")
        context = ssl.create_default_context(cafile=None if system_roots else str(self.ca_file))
        if system_roots:
            context.load_verify_locations(cafile=str(self.ca_file))
        pair = self.key_pair()
        if pair is not None:
            context.load_cert_chain(str(pair.cert_file), str(pair.key_file))
        return context


def _options(tls: ClientTls | None, options: ChannelOptions) -> list[tuple[str, int | str]]:
    out = list(options)
    if tls is not None and tls.server_name:
        out.append(("grpc.ssl_target_name_override", tls.server_name))
    return out


def open_channel(
    target: str, tls: ClientTls | None, options: ChannelOptions = ()
) -> grpc.aio.Channel:
    """A ``grpc.aio`` channel to ``target`` (``host:port``): TLS with ``tls``, plaintext
    without. Every gRPC client of the code base opens its channel here."""
    if tls is None:
        return grpc.aio.insecure_channel(target, options=list(options))
    return grpc.aio.secure_channel(
        target, tls.channel_credentials(), options=_options(tls, options)
    )


def split_target(target: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) as ``(host, port)``."""
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


async def diagnose_server(
    target: str, tls: ClientTls, timeout_s: float = 5.0
) -> UntrustedServerError | None:
    """Dial ``target`` once over TLS and say why its certificate is refused, or ``None``
    when the handshake succeeds or fails for another reason (refused connection, a
    server that is not there)."""
    host, port = split_target(target)
    try:
        context = tls.ssl_context()
    except TlsFileError:
        return None
    context.set_alpn_protocols(["h2", "http/1.1"])
    writer = None
    try:
        async with asyncio.timeout(timeout_s):
            _, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=tls.server_name or host
            )
    except ssl.SSLCertVerificationError as exc:
        return UntrustedServerError(target, exc.verify_message or str(exc), tls.ca_file)
    except (ssl.SSLError, OSError, TimeoutError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    return None
