"""Authorization of the Ledger API: Daml's token formats, refusals, rights per call."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest

from auth import (
    CanActAs,
    CanReadAs,
    JwksClient,
    JwksSettings,
    ParticipantAdmin,
    TokenPolicy,
    TokenVerifier,
    UserId,
    VerifierSettings,
)
from auth.dev_idp import DevIdp
from ledger_client import (
    AuthenticationError,
    CreateCommand,
    LedgerClient,
    Party,
    PermissionDeniedError,
)
from participant.ledger_api import LedgerApiServer, User
from tests.participant.ledger_api.conftest import StartServer
from tests.support.auth import (
    ALICE,
    BOB,
    HS256_SECRET,
    PARTICIPANT,
    audience_payload,
    idp_config,
    rogue_rsa_key,
    sign,
    unsigned_token,
)
from tests.support.ledger_backend import FakeLedgerBackend


@pytest.fixture
async def idp(tmp_path: Path) -> AsyncIterator[DevIdp]:
    server = DevIdp(idp_config(tmp_path))
    await server.start()
    yield server
    await server.stop()


def verifier_for(idp: DevIdp, hs256: str | None = None) -> TokenVerifier:
    jwks = JwksClient(JwksSettings(url=idp.jwks_url, cache_ttl_s=300, min_refetch_interval_s=0))
    return TokenVerifier(
        TokenPolicy(participant_id=PARTICIPANT), jwks, VerifierSettings(allow_hs256_secret=hs256)
    )


async def add_users(server: LedgerApiServer) -> None:
    await server.users.create_user(User(UserId("alice")), [CanActAs(ALICE), CanReadAs(BOB)])
    await server.users.create_user(User(UserId("bob")), [CanActAs(BOB)])
    await server.users.create_user(User(UserId("admin")), [ParticipantAdmin()])


@pytest.fixture
async def secured(start_server: StartServer, idp: DevIdp) -> LedgerApiServer:
    server = await start_server(verifier=verifier_for(idp))
    await add_users(server)
    return server


def client_for(server: LedgerApiServer, token: str | None) -> LedgerClient:
    return LedgerClient(f"127.0.0.1:{server.port}", token=token)


def rs256(idp: DevIdp, payload: dict[str, object]) -> str:
    key = idp.keys.active("RS256")
    return sign(payload, key.private_key, "RS256", key.kid)


def account(pkg: str, owner: str, currency: str = "EUR") -> CreateCommand:
    return CreateCommand(
        f"{pkg}:Iou:Account", {"bank": Party(BOB), "owner": Party(owner), "currency": currency}
    )


async def pkg_of(backend: FakeLedgerBackend) -> str:
    (details,) = await backend.list_packages()
    return details.package_id


async def test_each_token_format_is_accepted(
    secured: LedgerApiServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    pkg = await pkg_of(backend)
    async with client_for(secured, idp.issue("alice-app")) as alice:  # audience, RS256
        tx = await alice.submit_and_wait_for_transaction([account(pkg, ALICE)], act_as=[ALICE])
        assert tx.created[0].arguments["owner"] == ALICE
    async with client_for(secured, idp.issue("legacy")) as legacy:  # custom claims
        await legacy.submit_and_wait([account(pkg, ALICE, "USD")], act_as=[ALICE], read_as=[BOB],
                                     command_id="legacy-1")  # fmt: skip
    async with client_for(secured, idp.issue("bob-app")) as bob:  # scope, ES256
        end = await bob.ledger_end()
        assert [t.offset async for t in bob.updates([BOB], end=end)] == [1, 2]
    # application id: the user id for user tokens, the token's for custom claims
    assert [c.application_id for c in backend.completions_log] == ["alice", "legacy-app"]


async def test_refused_tokens_are_unauthenticated_and_apply_nothing(
    secured: LedgerApiServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    pkg = await pkg_of(backend)
    rogue = sign(audience_payload("alice"), rogue_rsa_key(), "RS256", kid="not-in-jwks")
    hs256 = jwt.encode(audience_payload("alice"), HS256_SECRET, algorithm="HS256")
    tokens = {
        "expired": rs256(idp, audience_payload("alice", ttl=-60)),
        "wrong_audience": idp.issue("other-participant"),
        "alg_none": unsigned_token(audience_payload("alice")),
        "unknown_key_id": rogue,
        "disallowed_algorithm": hs256,  # HS256 without the development flag
        "missing access token": None,
    }
    for reason, token in tokens.items():
        async with client_for(secured, token) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.submit_and_wait([account(pkg, ALICE)], act_as=[ALICE])
            assert caught.value.status == "UNAUTHENTICATED", reason
            # structured like every other refusal: google.rpc.Status with ErrorInfo
            assert caught.value.error_code == "UNAUTHENTICATED", reason
            assert reason in caught.value.message or "expired" in caught.value.message, reason
    assert backend.submissions == 0 and await backend.ledger_end() == 0


async def test_missing_rights_are_permission_denied(
    secured: LedgerApiServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    pkg = await pkg_of(backend)
    async with client_for(secured, idp.issue("alice-app")) as alice:
        with pytest.raises(PermissionDeniedError) as acting:
            await alice.submit_and_wait([account(pkg, BOB)], act_as=[BOB])
        assert acting.value.error_code == "PERMISSION_DENIED"
        assert acting.value.metadata["missing"] == f"CanActAs({BOB})"
        with pytest.raises(PermissionDeniedError):
            await alice.allocate_party("mallory")
        with pytest.raises(PermissionDeniedError):
            await alice.upload_package(b"x")
        with pytest.raises(PermissionDeniedError):
            await alice.list_users()
        # one's own user and rights are readable
        assert (await alice.get_user()).user_id == "alice"
    async with client_for(secured, idp.issue("bob-app")) as bob:
        with pytest.raises(PermissionDeniedError):  # a read of another party's stream
            async for _ in bob.updates([ALICE]):
                pass
        with pytest.raises(PermissionDeniedError):
            await bob.active_contracts([ALICE])
        with pytest.raises(PermissionDeniedError):
            async for _ in bob.completions([ALICE], application_id="bob"):
                pass
    assert backend.submissions == 0 and not backend.parties


async def test_admin_rights_and_revocation_take_effect(
    secured: LedgerApiServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    async with client_for(secured, rs256(idp, audience_payload("admin"))) as admin:
        party = await admin.allocate_party("carol")
        assert party.party.startswith("carol::")
        from ledger_client import CanActAs as ClientCanActAs

        await admin.revoke_rights("alice", [ClientCanActAs(ALICE)])
    async with client_for(secured, idp.issue("alice-app")) as alice:
        with pytest.raises(PermissionDeniedError):
            await alice.submit_and_wait([account(await pkg_of(backend), ALICE)], act_as=[ALICE])


async def test_public_services_need_no_token(secured: LedgerApiServer) -> None:
    async with client_for(secured, None) as anonymous:
        assert await anonymous.version()
        with pytest.raises(AuthenticationError):
            await anonymous.ledger_end()


async def test_hs256_accepted_only_with_the_dev_flag(
    start_server: StartServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    server = await start_server(verifier=verifier_for(idp, hs256=HS256_SECRET))
    await add_users(server)
    token = jwt.encode(audience_payload("alice"), HS256_SECRET, algorithm="HS256")
    async with client_for(server, token) as alice:
        await alice.submit_and_wait([account(await pkg_of(backend), ALICE)], act_as=[ALICE])
    assert backend.submissions == 1


async def test_stream_is_closed_when_its_token_expires(
    secured: LedgerApiServer, idp: DevIdp, backend: FakeLedgerBackend
) -> None:
    token = idp.issue("short-lived")  # alice, exp in 2 s
    started = time.monotonic()
    async with client_for(secured, token) as alice:
        with pytest.raises(AuthenticationError) as caught:
            async for _ in alice.updates([ALICE]):
                pass
    assert "expired" in caught.value.message
    assert 1.0 < time.monotonic() - started < 8
