"""The development IdP's signing keys: generated, persisted, published, rotated.

It owns the key files in the state directory and nothing about HTTP or tokens' content.
There is one *active* key per algorithm (RS256: RSA-2048, ES256: EC P-256); tokens are
signed with the active key of the client's algorithm.

**Rotation.** :meth:`KeyStore.rotate` makes a fresh active key for every algorithm and
retires the previous ones. A retired key stays in the JWKS for ``grace_s`` seconds, so
tokens signed just before the rotation keep verifying until they expire (the grace should
be at least the token lifetime plus the verifiers' JWKS cache TTL); after that it is
dropped from the JWKS and deleted from disk.

**On disk** (``state_dir``, created with mode 0700)::

    keys/manifest.json   kid, algorithm, created_at, retired_at of every key
    keys/<kid>.pem       PKCS#8 private key, mode 0600

With a ``password`` the PEM files are encrypted (PKCS#8 with the best available
encryption, i.e. AES-256-CBC under a scrypt/PBKDF2 key); without one they are plain PEM,
protected only by the file mode, and a warning is logged. Without a ``state_dir`` keys
live in memory only and every restart makes new ones. Key ids are RFC 7638 thumbprints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from auth.errors import SigningKeyStoreError

log = logging.getLogger(__name__)

Algorithm = Literal["RS256", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "ES256")
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

RSA_KEY_BITS = 2048
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One signing key and its life cycle."""

    kid: str
    """RFC 7638 thumbprint of the public key."""
    algorithm: Algorithm
    """``RS256`` or ``ES256``."""
    private_key: PrivateKey
    created_at: float
    """POSIX seconds."""
    retired_at: float | None = None
    """When a newer key replaced it; ``None`` while active."""

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK, with ``kid``, ``alg`` and ``use``."""
        public = self.private_key.public_key()
        jwk: dict[str, Any]
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a public RSA or EC key."""
    members = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate_key(algorithm: Algorithm, now: float) -> SigningKey:
    private: PrivateKey
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    key = SigningKey("", algorithm, private, now)
    return replace(key, kid=thumbprint(key.public_jwk()))


class KeyStore:
    """The IdP's keys: :meth:`active` signs, :meth:`jwks` publishes, :meth:`rotate` rotates."""

    def __init__(
        self,
        state_dir: Path | None,
        *,
        password: str | None = None,
        grace_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_dir = state_dir
        self._password = password.encode() if password else None
        self.grace_s = grace_s
        self._clock = clock
        self._keys: list[SigningKey] = []
        if state_dir is not None and self._password is None:
            log.warning(
                "dev IdP keys are stored unencrypted (file mode 0600); set key_password to "
                "encrypt them",
                extra={"state_dir": str(state_dir)},
            )
        self._load()
        for algorithm in ALGORITHMS:
            if not any(k.algorithm == algorithm and k.retired_at is None for k in self._keys):
                self._keys.append(generate_key(algorithm, self._clock()))
        self._prune_and_save()

    @property
    def _key_dir(self) -> Path | None:
        return None if self.state_dir is None else self.state_dir / "keys"

    def active(self, algorithm: Algorithm) -> SigningKey:
        """The key that signs new tokens of ``algorithm``."""
        for key in reversed(self._keys):
            if key.algorithm == algorithm and key.retired_at is None:
                return key
        raise KeyError(algorithm)  # pragma: no cover - the constructor guarantees one

    def published(self) -> list[SigningKey]:
        """Active keys and retired ones still within their grace period."""
        now = self._clock()
        return [k for k in self._keys if k.retired_at is None or now < k.retired_at + self.grace_s]

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: every published key's public JWK."""
        return {"keys": [k.public_jwk() for k in self.published()]}

    def rotate(self) -> dict[str, str]:
        """Retire every active key and make new ones; the new kids by algorithm."""
        now = self._clock()
        self._keys = [
            k if k.retired_at is not None else replace(k, retired_at=now) for k in self._keys
        ]
        fresh = {alg: generate_key(alg, now) for alg in ALGORITHMS}
        self._keys.extend(fresh.values())
        self._prune_and_save()
        log.info(
            "dev IdP keys rotated",
            extra={"active": {a: k.kid for a, k in fresh.items()}, "grace_s": self.grace_s},
        )
        return {alg: key.kid for alg, key in fresh.items()}

    # --- persistence ------------------------------------------------------------------

    def _encryption(self) -> serialization.KeySerializationEncryption:
        if self._password is None:
            return serialization.NoEncryption()
        return serialization.BestAvailableEncryption(self._password)

    def _load(self) -> None:
        key_dir = self._key_dir
        if key_dir is None or not (key_dir / MANIFEST).exists():
            return
        try:
            manifest = json.loads((key_dir / MANIFEST).read_text())
            for entry in manifest["keys"]:
                pem = (key_dir / f"{entry['kid']}.pem").read_bytes()
                private = serialization.load_pem_private_key(pem, password=self._password)
                if not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                    raise SigningKeyStoreError(key_dir, f"key {entry['kid']} is neither RSA nor EC")
                self._keys.append(
                    SigningKey(
                        entry["kid"],
                        entry["algorithm"],
                        private,
                        entry["created_at"],
                        entry.get("retired_at"),
                    )
                )
        except SigningKeyStoreError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SigningKeyStoreError(
                key_dir, f"cannot load keys: {type(exc).__name__}: {exc}"
            ) from None

    def _prune_and_save(self) -> None:
        published = {k.kid for k in self.published()}
        dropped = [k for k in self._keys if k.kid not in published]
        self._keys = [k for k in self._keys if k.kid in published]
        key_dir = self._key_dir
        if key_dir is None:
            return
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(key_dir, 0o700)
        for key in self._keys:
            path = key_dir / f"{key.kid}.pem"
            if not path.exists():
                pem = key.private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    self._encryption(),
                )
                _write_private(path, pem)
        manifest = {
            "keys": [
                {
                    "kid": k.kid,
                    "algorithm": k.algorithm,
                    "created_at": k.created_at,
                    "retired_at": k.retired_at,
                }
                for k in self._keys
            ]
        }
        tmp = key_dir / (MANIFEST + ".tmp")
        _write_private(tmp, json.dumps(manifest, indent=2).encode(), replace_existing=True)
        os.replace(tmp, key_dir / MANIFEST)
        for key in dropped:
            (key_dir / f"{key.kid}.pem").unlink(missing_ok=True)


def _write_private(path: Path, data: bytes, *, replace_existing: bool = False) -> None:
    """Write ``data`` to a file created with mode 0600 (never readable by others)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace_existing else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
