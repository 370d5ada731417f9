"""A development OAuth2 identity provider for local networks and tests.

Serves OpenID discovery, a JWKS with RS256 and ES256 keys (rotatable, with a grace
period), and issues Ledger API tokens in Daml's formats via the client-credentials grant.
Run it with ``python -m auth.dev_idp --config idp.toml``. Not for production: clients and
their secrets sit in a config file, and there is no user login.
"""

from auth.dev_idp.config import ClientConfig, IdpConfig
from auth.dev_idp.keys import KeyStore, SigningKey
from auth.dev_idp.server import DevIdp, OAuthError, build_payload
from auth.errors import SigningKeyStoreError

__all__ = [
    "ClientConfig",
    "DevIdp",
    "IdpConfig",
    "KeyStore",
    "OAuthError",
    "SigningKey",
    "SigningKeyStoreError",
    "build_payload",
]
