"""The devnet's CA: node certificates for the loopback names, keys mode 0600, kept while
valid, made again when near expiry or when the CA is new. (The handshakes with them:
the devnet tests in ``tests/chaindomain/``.)"""

from __future__ import annotations

import datetime
import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from chaindomain.devnet.certs import RENEW_BEFORE, DevnetCa
from protocol.tls import ClientTls, read_key_pair


def test_node_certificates_of_the_devnet_ca(tmp_path: Path) -> None:
    ca = DevnetCa(tmp_path / "tls")
    files = ca.node("seq1")
    for key in (files.key_file, ca.ca_key_file):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pair = read_key_pair(files.cert_file, files.key_file)
    cert = x509.load_pem_x509_certificate(pair.certificate_chain)
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.ca_file.read_bytes()))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    ClientTls(files.ca_file, files.cert_file, files.key_file).check()

    before = files.cert_file.read_bytes()
    assert ca.node("seq1") == files and files.cert_file.read_bytes() == before  # kept
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365) - RENEW_BEFORE
    ca.node("seq1", now=later)
    assert files.cert_file.read_bytes() != before  # renewed before it expires

    ca.ca_file.unlink()  # a new CA: every node certificate is made again
    renewed = files.cert_file.read_bytes()
    ca.node("seq1")
    assert files.cert_file.read_bytes() != renewed
