"""The devnet's own certificate authority: one CA, one server certificate per node.

Under ``<dir>/tls/`` (``docs/devnet.md`` §TLS):

| file | what |
|---|---|
| ``ca.crt``, ``ca.key`` | the CA (EC P-256, ten years); every devnet client trusts ``ca.crt`` |
| ``<node>.crt``, ``<node>.key`` | a node's certificate (one year), signed by the CA |

A node's certificate names what a local client dials: ``localhost``, ``127.0.0.1`` and
``::1`` (subject alternative names), and serves as both server and client certificate
(extended key usages ``serverAuth`` and ``clientAuth``), so mutual TLS works with the
same files. Private keys are written with mode 0600. Every ``up`` keeps what is valid and
makes again what is missing, expires within :data:`RENEW_BEFORE`, or was not signed by
the current CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chaindomain.private_files import write_private

CA_VALIDITY = datetime.timedelta(days=3650)
NODE_VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=30)
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class NodeCertificate:
    """A node's certificate and key files, and the CA that signed them."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chaindomain devnet"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(path, data)


def _load(
    cert_file: Path, key_file: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return cert, key


def _fresh(cert: x509.Certificate, now: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


class DevnetCa:
    """The CA in ``directory``, made on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca_file = directory / "ca.crt"
        self.ca_key_file = directory / "ca.key"

    def ensure(
        self, now: datetime.datetime | None = None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        moment = now or datetime.datetime.now(datetime.UTC)
        loaded = _load(self.ca_file, self.ca_key_file)
        if loaded is not None and _fresh(loaded[0], moment):
            return loaded
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name("chaindomain devnet CA")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(moment - datetime.timedelta(minutes=5))
            .not_valid_after(moment + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_key(self.ca_key_file, key)
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert, key

    def node(self, name: str, now: datetime.datetime | None = None) -> NodeCertificate:
        """The certificate of node ``name``, made (again) unless a valid one signed by
        this CA is there."""
        moment = now or datetime.datetime.now(datetime.UTC)
        ca_cert, ca_key = self.ensure(moment)
        files = NodeCertificate(
            self.directory / f"{name}.crt", self.directory / f"{name}.key", self.ca_file
        )
        loaded = _load(files.cert_file, files.key_file)
        if (
            loaded is not None
            and _fresh(loaded[0], moment)
            and loaded[0].issuer == ca_cert.subject
            and _signed_by(loaded[0], ca_cert)
        ):
            return files
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in LOOPBACK_NAMES]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LOOPBACK_IPS]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(moment - datetime.timedelta(minutes=5))
            .not_valid_after(moment + NODE_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(files.key_file, key)
        files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return files


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
