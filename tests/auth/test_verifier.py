"""Token verification against a real dev IdP's JWKS: Daml's formats and every refusal."""

from __future__ import annotations

import time

import jwt
import pytest

from auth import (
    AuthClaims,
    InvalidTokenError,
    InvalidTokenReason,
    JwksClient,
    JwksSettings,
    MissingTokenError,
    TokenExpiredError,
    TokenFormat,
    TokenPolicy,
    TokenVerifier,
    VerifierSettings,
)
from auth.dev_idp import DevIdp
from tests.support.auth import (
    ALICE,
    BOB,
    HS256_SECRET,
    OTHER_PARTICIPANT,
    PARTICIPANT,
    audience_payload,
    rogue_ec_key,
    rogue_rsa_key,
    sign,
    unsigned_token,
)


def signed_by_idp(idp: DevIdp, payload: dict[str, object], alg: str = "RS256") -> str:
    key = idp.keys.active("RS256" if alg == "RS256" else "ES256")
    return sign(payload, key.private_key, alg, key.kid)


async def refused(verifier: TokenVerifier, token: str) -> InvalidTokenError:
    with pytest.raises(InvalidTokenError) as caught:
        await verifier.verify(token)
    return caught.value


# --- the three formats ---------------------------------------------------------------


async def test_audience_based_token(idp: DevIdp, verifier: TokenVerifier) -> None:
    claims = await verifier.verify(idp.issue("alice-app"))
    assert claims.format is TokenFormat.AUDIENCE
    assert claims.user_id == "alice"
    assert claims.participant_id == PARTICIPANT
    assert claims.application_id == "alice"
    assert claims.algorithm == "RS256"
    assert claims.key_id == idp.keys.active("RS256").kid
    assert claims.expires_at is not None and claims.expires_at > time.time()
    assert not claims.carries_rights


async def test_scope_based_token_es256(idp: DevIdp, verifier: TokenVerifier) -> None:
    claims = await verifier.verify(idp.issue("bob-app"))
    assert claims.format is TokenFormat.SCOPE
    assert claims.user_id == "bob"
    assert "daml_ledger_api" in claims.scopes
    assert claims.algorithm == "ES256"


async def test_custom_claims_token(idp: DevIdp, verifier: TokenVerifier) -> None:
    claims = await verifier.verify(idp.issue("legacy"))
    assert claims == AuthClaims(
        format=TokenFormat.CUSTOM,
        user_id=None,
        expires_at=claims.expires_at,
        issuer=idp.issuer,
        participant_id=PARTICIPANT,
        application_id="legacy-app",
        act_as=frozenset({ALICE}),
        read_as=frozenset({BOB}),
        admin=False,
        key_id=idp.keys.active("RS256").kid,
        algorithm="RS256",
    )


async def test_bearer_header_parsing(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = idp.issue("alice-app")
    assert (await verifier.verify_header(f"bearer {token}")).user_id == "alice"
    for header in (None, "", f"Basic {token}", "Bearer "):
        with pytest.raises(MissingTokenError):
            await verifier.verify_header(header)


# --- refusals ------------------------------------------------------------------------


async def test_expired_token(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = signed_by_idp(idp, audience_payload(ttl=-60))
    with pytest.raises(TokenExpiredError) as caught:
        await verifier.verify(token)
    assert caught.value.expired_at is not None
    assert caught.value.expired_at < caught.value.now - caught.value.leeway_s


async def test_expiry_within_leeway_is_accepted(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = signed_by_idp(idp, audience_payload(ttl=-2))  # leeway is 5 s
    assert (await verifier.verify(token)).user_id == "alice"


async def test_missing_exp_refused_unless_configured(idp: DevIdp, verifier: TokenVerifier) -> None:
    payload = audience_payload()
    del payload["exp"]
    token = signed_by_idp(idp, payload)
    error = await refused(verifier, token)
    assert error.reason is InvalidTokenReason.MISSING_CLAIM
    assert error.expected == "exp"
    lenient = TokenVerifier(
        TokenPolicy(participant_id=PARTICIPANT, require_expiry=False), verifier.jwks
    )
    assert (await lenient.verify(token)).expires_at is None


async def test_not_yet_valid(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = signed_by_idp(idp, audience_payload(nbf=int(time.time()) + 120))
    assert (await refused(verifier, token)).reason is InvalidTokenReason.NOT_YET_VALID


async def test_wrong_audience(idp: DevIdp, verifier: TokenVerifier) -> None:
    error = await refused(verifier, idp.issue("other-participant"))
    assert error.reason is InvalidTokenReason.WRONG_AUDIENCE
    assert error.expected == [f"https://daml.com/jwt/aud/participant/{PARTICIPANT}"]
    assert error.got == [f"https://daml.com/jwt/aud/participant/{OTHER_PARTICIPANT}"]
    foreign = signed_by_idp(idp, audience_payload(aud="https://some.other.api"))
    assert (await refused(verifier, foreign)).reason is InvalidTokenReason.WRONG_AUDIENCE


async def test_target_audience_applies_to_scope_tokens(
    idp: DevIdp, verifier: TokenVerifier
) -> None:
    strict = TokenVerifier(
        TokenPolicy(participant_id=PARTICIPANT, target_audience="https://ledger.example"),
        verifier.jwks,
    )
    error = await refused(strict, idp.issue("bob-app"))
    assert error.reason is InvalidTokenReason.WRONG_AUDIENCE
    assert error.expected == "https://ledger.example"
    now = int(time.time())
    good = signed_by_idp(
        idp,
        {
            "sub": "bob",
            "scope": "daml_ledger_api",
            "aud": "https://ledger.example",
            "exp": now + 60,
        },
    )
    assert (await strict.verify(good)).format is TokenFormat.SCOPE


async def test_wrong_issuer(idp: DevIdp, verifier: TokenVerifier) -> None:
    strict = TokenVerifier(
        TokenPolicy(participant_id=PARTICIPANT, issuer="https://idp.example"), verifier.jwks
    )
    error = await refused(strict, idp.issue("alice-app"))
    assert error.reason is InvalidTokenReason.WRONG_ISSUER
    assert (error.expected, error.got) == ("https://idp.example", idp.issuer)


async def test_custom_claims_for_another_participant(idp: DevIdp, verifier: TokenVerifier) -> None:
    now = int(time.time())
    payload = {
        "exp": now + 60,
        "https://daml.com/ledger-api": {"actAs": [ALICE], "participantId": OTHER_PARTICIPANT},
    }
    error = await refused(verifier, signed_by_idp(idp, payload))
    assert error.reason is InvalidTokenReason.WRONG_PARTICIPANT


async def test_not_a_ledger_api_token(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = signed_by_idp(idp, {"sub": "alice", "exp": int(time.time()) + 60})
    assert (await refused(verifier, token)).reason is InvalidTokenReason.UNKNOWN_FORMAT


async def test_format_not_accepted(idp: DevIdp, verifier: TokenVerifier) -> None:
    no_custom = TokenVerifier(
        TokenPolicy(
            participant_id=PARTICIPANT,
            accepted_formats=frozenset({TokenFormat.AUDIENCE, TokenFormat.SCOPE}),
        ),
        verifier.jwks,
    )
    error = await refused(no_custom, idp.issue("legacy"))
    assert error.reason is InvalidTokenReason.FORMAT_NOT_ACCEPTED


async def test_alg_none_refused(idp: DevIdp, verifier: TokenVerifier) -> None:
    kid = idp.keys.active("RS256").kid
    for alg in ("none", "None", "NONE"):
        error = await refused(verifier, unsigned_token(audience_payload(), alg=alg, kid=kid))
        assert error.reason is InvalidTokenReason.ALG_NONE
        assert error.got == alg


async def test_key_not_in_jwks(idp: DevIdp, verifier: TokenVerifier) -> None:
    for key, alg in ((rogue_rsa_key(), "RS256"), (rogue_ec_key(), "ES256")):
        token = sign(audience_payload(), key, alg, kid="never-published")
        error = await refused(verifier, token)
        assert error.reason is InvalidTokenReason.UNKNOWN_KEY_ID
        assert error.got == "never-published"
        assert idp.keys.active("RS256").kid in error.expected  # type: ignore[operator]


async def test_rogue_key_claiming_a_published_kid(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = sign(audience_payload(), rogue_rsa_key(), "RS256", kid=idp.keys.active("RS256").kid)
    assert (await refused(verifier, token)).reason is InvalidTokenReason.BAD_SIGNATURE


async def test_tampered_payload(idp: DevIdp, verifier: TokenVerifier) -> None:
    header, _, signature = idp.issue("alice-app").split(".")
    forged = jwt.encode(audience_payload(user="mallory"), "x" * 32, algorithm="HS256")
    token = f"{header}.{forged.split('.')[1]}.{signature}"
    assert (await refused(verifier, token)).reason is InvalidTokenReason.BAD_SIGNATURE


async def test_key_of_other_algorithm(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = sign(audience_payload(), rogue_ec_key(), "ES256", kid=idp.keys.active("RS256").kid)
    error = await refused(verifier, token)
    assert error.reason is InvalidTokenReason.KEY_ALGORITHM_MISMATCH
    assert (error.expected, error.got) == ("RS256", "ES256")


async def test_missing_kid(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = sign(audience_payload(), idp.keys.active("RS256").private_key, "RS256", kid=None)
    assert (await refused(verifier, token)).reason is InvalidTokenReason.MISSING_KEY_ID


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "e30.e30.", "x" * 20000 + ".a.b"],
    ids=["empty", "one-part", "two-parts", "garbage", "no-alg", "oversized"],
)
async def test_malformed(verifier: TokenVerifier, token: str) -> None:
    assert (await refused(verifier, token)).reason is InvalidTokenReason.MALFORMED


async def test_disallowed_algorithms(idp: DevIdp, verifier: TokenVerifier) -> None:
    token = sign(audience_payload(), rogue_rsa_key(), "RS512", kid="k")
    error = await refused(verifier, token)
    assert error.reason is InvalidTokenReason.DISALLOWED_ALGORITHM
    assert error.expected == ["ES256", "RS256"]


async def test_hs256_refused_without_dev_flag(verifier: TokenVerifier) -> None:
    token = jwt.encode(audience_payload(), HS256_SECRET, algorithm="HS256")
    error = await refused(verifier, token)
    assert error.reason is InvalidTokenReason.DISALLOWED_ALGORITHM
    assert error.got == "HS256"


async def test_hs256_with_dev_flag(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="auth.verifier"):
        dev = TokenVerifier(
            TokenPolicy(participant_id=PARTICIPANT),
            None,
            VerifierSettings(allow_hs256_secret=HS256_SECRET),
        )
    assert "development only" in caplog.text
    token = jwt.encode(audience_payload(), HS256_SECRET, algorithm="HS256")
    claims = await dev.verify(token)
    assert (claims.user_id, claims.algorithm, claims.key_id) == ("alice", "HS256", None)
    wrong = jwt.encode(audience_payload(), "another-secret-that-is-32-bytes-long!", "HS256")
    assert (await refused(dev, wrong)).reason is InvalidTokenReason.BAD_SIGNATURE
    rs256 = sign(audience_payload(), rogue_rsa_key(), "RS256", kid="k")
    assert (await refused(dev, rs256)).reason is InvalidTokenReason.DISALLOWED_ALGORITHM


async def test_hs256_token_against_public_key_is_not_confused(
    idp: DevIdp, verifier: TokenVerifier
) -> None:
    """Algorithm confusion: HMAC with the RSA public key as secret must never verify."""
    key = idp.keys.active("RS256")
    public_pem = key.public_jwk()["n"]
    token = jwt.encode(audience_payload(), public_pem, algorithm="HS256", headers={"kid": key.kid})
    dev = TokenVerifier(
        TokenPolicy(participant_id=PARTICIPANT),
        JwksClient(JwksSettings(url=idp.jwks_url)),
        VerifierSettings(allow_hs256_secret=HS256_SECRET),
    )
    try:
        assert (await refused(dev, token)).reason is InvalidTokenReason.BAD_SIGNATURE
    finally:
        await dev.aclose()


def test_hs256_secret_must_be_long() -> None:
    from auth import AuthConfigError

    with pytest.raises(AuthConfigError):
        VerifierSettings(allow_hs256_secret="short")
