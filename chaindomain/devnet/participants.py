"""The devnet's organisations: one participant each, its identity, its parties, its packages.

Organisation *i* (1-based) runs the participant node ``participant<i>`` and owns the party
``ORGANISATIONS[i-1]`` (``Bank``, ``Alice``, ``Bob``, then ``Org4``, ``Org5``, …). On the
first ``up``:

1. each participant's keys are made (``participants/<name>/keys/``, encrypted with the
   domain's keystore password) — its id is ``PAR::<name>::<namespace>``;
2. the node onboards itself through the domain manager (``open`` policy) at its first start;
3. once every node is ready, :func:`set_up_organisations` uploads the example packages
   through each participant's Ledger API (each upload is vetted through topology: the
   participant's ``VettedPackages`` via the domain manager) and allocates each
   organisation's parties there, as ``participant_admin`` (a token of the devnet's IdP);
4. it creates the organisation's Ledger API user (``bank``, ``alice``, ...): act as its
   parties, read as the other parties hosted on its participant, ParticipantAdmin.

Every step is idempotent: a later ``up`` finds the keys, the node's member database, the
packages (same source, same id) and the parties (listed by the participant) and makes
nothing new, so the ledger resumes unchanged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from auth import TokenRequestError
from chaindomain.devnet.access import DevnetAccess, admin_client_id, user_id
from chaindomain.devnet.errors import BootstrapError
from chaindomain.domain import InitializedDomain, KeyFiles, new_identity
from ledger_client import (
    CanActAs,
    CanReadAs,
    LedgerClientError,
    ParticipantAdmin,
    Right,
    Timeout,
    User,
)
from node_runtime.member.dm_client import (
    DomainManagerClient,
    DomainManagerClientError,
    HostingState,
)
from participant.engine.examples import EXAMPLES, example_source
from protocol.crypto import ScryptParams, load_signing_key
from protocol.identifiers import (
    MemberKind,
    Namespace,
    make_member_id,
    parse_member_id,
    parse_party_id,
)
from protocol.topology import HostingParticipant, ParticipantPermission, PartyToParticipant
from protocol.topology.transactions import (
    Operation,
    Serial,
    TopologyTransaction,
    sign_transaction,
)

ORGANISATIONS = ("Bank", "Alice", "Bob")
BANK_PARTIES = ("Bank", "Custodian")
"""The bank's parties: ``Bank`` issues Ious and cash; ``Custodian`` holds the asset
register of the delivery-versus-payment example."""
SETUP_TIMEOUT = Timeout(call=20.0, submit_and_wait=60.0, connect=20.0)


def organisation(index: int) -> str:
    """The organisation of participant ``index`` (1-based)."""
    return ORGANISATIONS[index - 1] if index <= len(ORGANISATIONS) else f"Org{index}"


def organisation_parties(index: int) -> tuple[str, ...]:
    """The party hints allocated on participant ``index``."""
    return BANK_PARTIES if index == 1 else (organisation(index),)


def participant_name(index: int) -> str:
    return f"participant{index}"


def participant_name_of(participant: str) -> str:
    """The node name in a devnet participant's id (``PAR::participant3::…``)."""
    return participant.split("::")[1]


@dataclass(frozen=True, slots=True)
class Organisation:
    """One organisation of a running devnet, as recorded in the state file."""

    name: str
    """``Bank``, ``Alice``, ..."""
    node: str
    """Its participant node (``participant<i>``)."""
    participant: str
    ledger_api: str
    """``host:port`` of its participant's Ledger API."""
    parties: dict[str, str]
    """Its parties' full ids by hint (``Alice`` → ``Alice::<participant namespace>``)."""

    @property
    def party(self) -> str:
        """Its main party (the one named like the organisation)."""
        return self.parties[self.name]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "node": self.node,
            "participant": self.participant,
            "ledger_api": self.ledger_api,
            "parties": dict(self.parties),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Organisation:
        parties = data["parties"]
        if not isinstance(parties, dict):
            raise TypeError("parties is not an object")
        return cls(
            name=str(data["name"]),
            node=str(data["node"]),
            participant=str(data["participant"]),
            ledger_api=str(data["ledger_api"]),
            parties={str(k): str(v) for k, v in parties.items()},
        )


def participant_identity(
    directory: Path, name: str, domain: InitializedDomain, scrypt: ScryptParams
) -> KeyFiles:
    """The participant ``name``'s keystores under ``directory``, made on first use.

    ``identity.json`` is written last: a directory without it is an interrupted attempt
    whose keys no node has used, and is made again.
    """
    record = directory / "identity.json"
    keys = directory / "keys"
    files = (keys / "namespace.json", keys / "signing.json", keys / "encryption.json")
    password = domain.password_file.read_text().rstrip("\r\n")
    if record.exists():
        member = json.loads(record.read_text())["participant"]
        return KeyFiles(member, *files)
    keys.mkdir(parents=True, exist_ok=True)
    namespace = new_identity(files, password, scrypt).namespace
    member = make_member_id(MemberKind.PARTICIPANT, name, Namespace(namespace.fingerprint))
    # Read back: the id must be the one the node derives from its keystore.
    if load_signing_key(files[0], password).fingerprint != namespace.fingerprint:
        raise BootstrapError(name, f"keystore {files[0]} does not read back")
    record.write_text(json.dumps({"participant": member}, indent=2) + "\n")
    return KeyFiles(member, *files)


async def set_up_organisation(
    index: int,
    participant: str,
    ledger_api: str,
    *,
    access: DevnetAccess,
    packages: Sequence[str] = EXAMPLES,
    limits: Timeout = SETUP_TIMEOUT,
) -> tuple[Organisation, dict[str, str]]:
    """Upload ``packages`` and allocate the organisation's parties on one participant.

    Returns the organisation and the uploaded packages' ids by name.
    """
    name = organisation(index)
    node = participant_name(index)
    try:
        admin = admin_client_id(node)
        async with await access.ledger_client(ledger_api, admin, timeout=limits) as client:
            ids: dict[str, str] = {}
            for package in packages:
                details = await client.upload_package(example_source(package))
                ids[package] = details.package_id
            local = {
                str(p.party).split("::")[0]: str(p.party)
                for p in await client.list_parties()
                if p.is_local
            }
            parties: dict[str, str] = {}
            for hint in organisation_parties(index):
                if hint not in local:
                    local[hint] = str((await client.allocate_party(hint, display_name=hint)).party)
                parties[hint] = local[hint]
    except (LedgerClientError, TokenRequestError) as exc:
        raise BootstrapError(node, f"setting up {name} through {ledger_api}: {exc}") from None
    return Organisation(name, node, participant, ledger_api, parties), ids


async def set_up_user(org: Organisation, access: DevnetAccess) -> None:
    """The organisation's Ledger API user on its participant: act as its parties, read
    as every other party hosted there, and ParticipantAdmin (it runs the node)."""
    user = user_id(org.name)
    try:
        admin = admin_client_id(org.node)
        async with await access.ledger_client(
            org.ledger_api, admin, timeout=SETUP_TIMEOUT
        ) as client:
            own = set(org.parties.values())
            local = [str(p.party) for p in await client.list_parties() if p.is_local]
            rights: list[Right] = [ParticipantAdmin()]
            rights += [CanActAs(p) for p in sorted(own)]
            rights += [CanReadAs(p) for p in sorted(set(local) - own)]
            if user in {u.user_id for u in await client.list_users()}:
                await client.grant_rights(user, rights)
            else:
                await client.create_user(User(user, primary_party=org.party), rights)
    except (LedgerClientError, TokenRequestError) as exc:
        raise BootstrapError(org.node, f"user {user} on {org.ledger_api}: {exc}") from None


async def host_for_observation(
    party: str,
    owner: tuple[str, KeyFiles],
    observer: tuple[str, KeyFiles],
    *,
    dm_endpoint: str,
    observer_api: str,
    password: str,
    access: DevnetAccess,
    timeout_s: float = 60.0,
) -> bool:
    """Host ``party`` (allocated on ``owner``'s participant) on ``observer``'s participant
    too, with observation permission; ``False`` if it is hosted there already.

    The ``PartyToParticipant`` replacement needs the party's namespace (the owner
    participant's) and the new host's: the devnet holds both keys and signs at once, so
    the domain manager makes it effective at once. Returns once ``observer``'s participant
    lists the party as local, i.e. its topology has the change.
    """
    owner_id, owner_keys = owner
    observer_id, observer_keys = observer
    observer_node = participant_name_of(observer_id)
    client = await access.ledger_client(
        observer_api, admin_client_id(observer_node), timeout=SETUP_TIMEOUT
    )
    async with client:

        async def hosted() -> bool:
            return any(str(p.party) == party and p.is_local for p in await client.list_parties())

        if await hosted():
            return False
        keys = [
            load_signing_key(owner_keys.namespace, password),
            load_signing_key(observer_keys.namespace, password),
        ]
        mapping = PartyToParticipant(
            parse_party_id(party),
            1,
            (
                HostingParticipant(parse_member_id(owner_id), ParticipantPermission.SUBMISSION),
                HostingParticipant(parse_member_id(observer_id), ParticipantPermission.OBSERVATION),
            ),
        )
        signed = sign_transaction(TopologyTransaction(Operation.REPLACE, Serial(2), mapping), keys)
        try:
            async with asyncio.timeout(timeout_s):
                async with DomainManagerClient(dm_endpoint, tls=access.tls()) as dm:
                    (outcome,) = await dm.request_party_hosting([signed.encode()])
                if outcome.state is not HostingState.EFFECTIVE:
                    raise BootstrapError(party, f"hosting not effective: missing {outcome.missing}")
                # The participant's topology follows the sequenced change; its Ledger API
                # is the only view of it from outside, so poll.
                while True:
                    if await hosted():
                        break
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise BootstrapError(party, f"not hosted on {observer_id} in {timeout_s}s") from None
        except (DomainManagerClientError, LedgerClientError) as exc:
            raise BootstrapError(party, f"hosting on {observer_id}: {exc}") from None
    return True


async def set_up_organisations(
    participants: Sequence[tuple[str, str, KeyFiles]],
    *,
    dm_endpoint: str,
    password: str,
    out: Callable[[str], None],
    access: DevnetAccess,
) -> tuple[list[Organisation], dict[str, str]]:
    """:func:`set_up_organisation` for each ``(participant id, ledger api, keys)``, in
    order; with three or more, the bank's ``Custodian`` is hosted on the third
    organisation's participant too (observation), which settles a trade against it."""
    organisations: list[Organisation] = []
    packages: dict[str, str] = {}
    for index, (participant, ledger_api, _) in enumerate(participants, start=1):
        org, ids = await set_up_organisation(index, participant, ledger_api, access=access)
        organisations.append(org)
        packages.update(ids)
        parties = "  ".join(org.parties.values())
        out(f"  {org.name:<12} on {org.node}: {parties}")
    if len(participants) >= 3:
        custodian = organisations[0].parties["Custodian"]
        bank, buyer = participants[0], participants[2]
        if await host_for_observation(
            custodian,
            (bank[0], bank[2]),
            (buyer[0], buyer[2]),
            dm_endpoint=dm_endpoint,
            observer_api=buyer[1],
            password=password,
            access=access,
        ):
            out(f"  Custodian    also hosted on {organisations[2].node} (observation)")
    for org in organisations:
        await set_up_user(org, access)
    return organisations, packages
