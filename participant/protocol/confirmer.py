"""The confirming participant's checks (step 2 of the protocol), without I/O.

For a sequenced confirmation request (a ``RootHashMessage`` and the encrypted views
addressed to this participant), :func:`check_request` decides, per view this participant
confirms for, ``LocalApprove`` or ``LocalReject(code)``, and which contracts to lock. The
checks, in order (the first failure is the reason):

=====  =====================================================  ===========================
step   check                                                  reject code
=====  =====================================================  ===========================
1      one root hash message, signed by the sender, which is  (ignored: the mediator
       the submitting participant                             rejects it)
2      every view decrypts and decodes, of the root hash;     ``MALFORMED`` /
       the root hash message also went to the mediator the    ``ROOT_HASH_MISMATCH``
       views name (so the mediator saw the same root);        (whole request, no view)
       every subview present; actions decode and fit
3      the submitter hosts every act-as party with            ``TOPOLOGY``
       submission permission at the request time
4      ledger time within the tolerance of the request time   ``LEDGER_TIME_OUT_OF_BOUNDS``
5      root view authorizers are the act-as parties; view     ``MODEL_CONFORMANCE``
       informees, confirming parties and contract lists are
       those of its nodes
6      re-interpretation gives the same nodes (the engine     ``AUTHORIZATION`` /
       checks authorization as it runs; a view that creates   ``PACKAGE_NOT_VETTED`` /
       a key it holds is ``KEY_CONFLICT``)                    ``MODEL_CONFORMANCE`` /
                                                              ``KEY_CONFLICT``
7      every input contract with a hosted stakeholder is      ``CONTRACT_NOT_ACTIVE``
       active here with the same contents
7k     for keys with a hosted maintainer (``keys``): a        ``KEY_CONFLICT``
       created key is free in the ACS or freed earlier in
       the transaction (tree order), never created twice;
       lookups and by-key uses find the key's holder
8      no input contract is locked by an earlier pending      ``CONTRACT_LOCKED``
       request (pessimistic: the earlier one may commit)
8k     no key the view uses (7k) is locked by an earlier      ``KEY_CONFLICT``
       pending request                                        (detail "… is locked by …")
=====  =====================================================  ===========================

Each step is one function, in the order :func:`check_request` calls them: step 1
``_identify``, the deadline and tolerance ``_pending``, step 2 ``_open``, steps 3 to 8 per
view ``_check_views`` (``_Context.check_view``: 3 and 4 inline, 5 ``check_declared``, 6
``check_reinterpretation``, 7 to 8k ``_check_contracts``).

For a view where this participant hosts informees (with confirmation permission) but no
confirming party, only steps 5 (without the root authorizers) and 6 run: if the declared
informees, confirming parties or contract lists are not those its nodes need, it answers
``MODEL_CONFORMANCE`` for those informees (a policy veto the mediator accepts); otherwise,
and for any other finding, it sends nothing for that view.

If no view is rejected, the contracts the request consumes that this participant holds,
and the keys with a hosted maintainer that it creates or frees, are locked until the
verdict (or the deadline). A locked key is reported as ``KEY_CONFLICT`` (the code set has
no separate code for it; the local detail says "locked", and the submitter's completion
is ``INCONSISTENT_CONTRACT_KEY``).

Every rejection is made in one place, :func:`_rejected`: the response carries only the
code and :func:`~participant.protocol.rejections.public_reason` (a fixed phrase and the
view position); what the check found, with its contract ids, key hashes, parties and
engine messages, is the verdict's local ``rejection.detail`` and a WARNING log line
(``participant/protocol/rejections.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from participant.engine import (
    AuthorizationError,
    ConformanceError,
    ContractId,
    CreateNode,
    DuplicateKeyError,
    Engine,
    ExerciseNode,
    PackageId,
    PackageNotVettedError,
    PartyId,
)
from participant.engine.conformance import input_contract_ids
from participant.engine.transaction import ContractInstance, iter_nodes
from participant.errors import ActionDecodeError
from participant.protocol.acs import ActiveContracts
from participant.protocol.actions import (
    all_nodes,
    confirming_of,
    engine_view,
    instance_from_bytes,
    reassemble,
)
from participant.protocol.keys import KeyCheck, check_keys
from participant.protocol.rejections import LocalRejection
from participant.protocol.request import PendingRequest, decode_actions
from participant.store import KeyHash
from protocol.crypto import SigningPublicKey
from protocol.crypto.encryption import EncryptionPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Deliver
from protocol.timestamp import Timestamp, add_micros
from protocol.topology import ParticipantPermission, TopologySnapshot
from protocol.transaction import (
    EncryptedViewMessage,
    LocalApprove,
    LocalRejectCode,
    LocalVerdict,
    MalformedTransactionMessageError,
    MessageSignatureError,
    RequestId,
    RootHash,
    RootHashMessage,
    RootHashMismatchError,
    TransactionViewTree,
    ViewDecryptionError,
    ViewMismatchError,
    ViewPosition,
    confirming_parties,
    merge_trees,
)
from protocol.transaction.types import position_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ViewVerdict:
    """This participant's answer for one view (or the whole request: ``position`` None)."""

    position: ViewPosition | None
    parties: frozenset[PartyId]
    verdict: LocalVerdict
    """What goes on the wire (a reject with its public reason only)."""
    rejection: LocalRejection | None = None
    """For a reject: the code with the local detail (never encoded)."""


@dataclass
class CheckedRequest:
    """The outcome of :func:`check_request` for a request this participant takes part in."""

    request: PendingRequest
    mediator: MemberId | None
    verdicts: list[ViewVerdict] = field(default_factory=list)


class _RejectError(Exception):
    """The first failing check: ``detail`` is local (it may name ledger data)."""

    def __init__(self, code: LocalRejectCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _rejected(
    request_id: RequestId,
    position: ViewPosition | None,
    parties: frozenset[PartyId],
    code: LocalRejectCode,
    detail: str,
    *,
    context: str = "",
) -> ViewVerdict:
    """The one place a rejection is made: the detail is logged and kept local, the
    verdict sent carries only the code and the public reason."""
    rejection = LocalRejection(request_id, position, code, _text(detail))
    rejection.log(context)
    return ViewVerdict(position, parties, rejection.public(), rejection)


@dataclass(frozen=True, slots=True)
class RequestMessages:
    """The request part of one delivered batch."""

    root_hash_messages: tuple[tuple[RootHashMessage, frozenset[MemberId]], ...]
    views: tuple[EncryptedViewMessage, ...]


class _Signed(Protocol):
    def verify(self, key: SigningPublicKey) -> None: ...


def signature_problem(signed: _Signed, key: SigningPublicKey | None, signer: str) -> str | None:
    """Why ``signed`` does not carry ``signer``'s valid signature (``key``: the signer's
    signing key in the topology, ``None`` if it has none); ``None`` when it does."""
    if key is None:
        return f"{signer} has no signing key"
    try:
        signed.verify(key)
    except MessageSignatureError as exc:
        return str(exc)
    return None


def check_request(
    event: Deliver,
    messages: RequestMessages,
    *,
    me: MemberId,
    domain: DomainId,
    encryption_key: EncryptionPrivateKey,
    snapshot: TopologySnapshot,
    acs: ActiveContracts,
    engine: Engine,
    vetted: Collection[PackageId],
) -> CheckedRequest | None:
    """Check a request (module docstring; ``docs/participant.md`` § Confirmation). ``None``
    when the request cannot be identified (step 1): there is nothing to answer, and the
    mediator rejects it on its own."""
    identified = _identify(event, messages, domain=domain, snapshot=snapshot)
    if identified is None:
        return None
    rhm, rhm_recipients = identified
    request, tolerance = _pending(event, rhm, snapshot)
    checked = CheckedRequest(request, None)
    rejected = _open(
        request, messages.views, rhm, rhm_recipients, key=encryption_key, domain=domain
    )
    if rejected is not None:
        request.rejected = True
        checked.verdicts.append(rejected)
        return checked
    tree = request.any_view
    if tree is None:
        return checked
    checked.mediator = tree.common_metadata.mediator
    context = _Context(
        request,
        snapshot=snapshot,
        acs=acs,
        engine=engine,
        vetted=vetted,
        me=me,
        tolerance=tolerance,
    )
    checked.verdicts.extend(_check_views(context, me, snapshot))
    if not request.rejected:
        request.locks = context.locks()
        request.key_locks = context.key_locks()
    return checked


def _identify(
    event: Deliver, messages: RequestMessages, *, domain: DomainId, snapshot: TopologySnapshot
) -> tuple[RootHashMessage, frozenset[MemberId]] | None:
    """Step 1: the request's one root hash message (with its recipients), of this domain,
    naming the sender as submitter and signed by it; ``None`` (logged) otherwise."""
    if len(messages.root_hash_messages) != 1:
        log.warning(
            "request at %d from %s: %d root hash messages, expected 1; ignored",
            event.timestamp,
            event.sender,
            len(messages.root_hash_messages),
        )
        return None
    rhm, rhm_recipients = messages.root_hash_messages[0]
    problem = None
    if rhm.domain != domain:
        problem = f"root hash message for domain {rhm.domain}"
    elif rhm.submitting_participant != event.sender:
        problem = f"root hash message names {rhm.submitting_participant}, sent by {event.sender}"
    else:
        key = snapshot.signing_key(event.sender)
        problem = signature_problem(rhm, key, f"sender {event.sender}")
    if problem is not None:
        log.warning("request at %d ignored: %s", event.timestamp, problem)
        return None
    return rhm, rhm_recipients


def _pending(
    event: Deliver, rhm: RootHashMessage, snapshot: TopologySnapshot
) -> tuple[PendingRequest, int]:
    """The request as kept pending, with its decision deadline (request time +
    participant response timeout + mediator reaction timeout), and the ledger time
    tolerance of step 4: all from the domain parameters at the request time."""
    request_id = Timestamp(event.timestamp)
    params = snapshot.domain_parameters()
    response = 30_000_000 if params is None else params.participant_response_timeout
    reaction = 30_000_000 if params is None else params.mediator_reaction_timeout
    tolerance = 60_000_000 if params is None else params.ledger_time_record_time_tolerance
    deadline = add_micros(add_micros(request_id, response), reaction)
    return PendingRequest(request_id, rhm.root_hash, event.sender, deadline), tolerance


def _open(
    request: PendingRequest,
    encrypted: tuple[EncryptedViewMessage, ...],
    rhm: RootHashMessage,
    rhm_recipients: frozenset[MemberId],
    *,
    key: EncryptionPrivateKey,
    domain: DomainId,
) -> ViewVerdict | None:
    """Step 2, the views as a whole: open them into ``request`` and decode its actions;
    the rejection of the whole request if that fails, else ``None``."""
    try:
        _decrypt_views(request, encrypted, rhm.root_hash, key=key, domain=domain)
        if request.views:
            _check_complete(request, rhm_recipients)
        request.actions = decode_actions(request.views)
        for position in request.top_positions():
            reassemble(position, request.actions)
    except _RejectError as rej:
        code, detail = rej.code, rej.detail
    except ActionDecodeError as exc:
        code, detail = LocalRejectCode.MALFORMED, str(exc)
    else:
        return None
    return _rejected(RequestId(request.request_id), None, frozenset(), code, detail)


def _check_views(context: _Context, me: MemberId, snapshot: TopologySnapshot) -> list[ViewVerdict]:
    """Steps 3 to 8 for each view with a confirming party hosted here (approve, or the
    first failure), in view order; a policy veto or nothing for the others."""
    request = context.request
    verdicts = []
    for position in sorted(request.views):
        view_tree = request.views[position]
        parties = confirming_parties(view_tree.common_data, me, snapshot)
        if not parties:
            veto = _policy_veto(context, position, me, snapshot)
            if veto is not None:
                verdicts.append(veto)
            continue
        confirming = frozenset(PartyId(p) for p in parties)
        try:
            context.check_view(position)
        except _RejectError as rej:
            request.rejected = True
            verdicts.append(
                _rejected(RequestId(request.request_id), position, confirming, rej.code, rej.detail)
            )
        else:
            verdicts.append(ViewVerdict(position, confirming, LocalApprove()))
    return verdicts


def _policy_veto(
    context: _Context, position: ViewPosition, me: MemberId, snapshot: TopologySnapshot
) -> ViewVerdict | None:
    """For a view where this participant hosts informees but no confirming party: a
    ``MODEL_CONFORMANCE`` rejection naming those informees if the view's declared
    informees, confirming parties or contract lists are not those its nodes need, or its
    nodes do not re-interpret to themselves (a submitter that left a hosted party out of
    the confirming parties); None otherwise, and nothing is sent.

    The mediator takes exactly this answer from a host of a non-confirming informee
    (``docs/mediator.md`` §4); any other finding is the confirming parties' to make."""
    common = context.request.views[position].common_data
    hosted = frozenset(
        informee.party
        for informee in common.informees
        if any(
            h.participant == me and h.permission >= ParticipantPermission.CONFIRMATION
            for h in snapshot.active_hosts(informee.party)
        )
    )
    if not hosted:
        return None
    try:
        context.check_declared(position)
        context.check_reinterpretation(position)
    except _RejectError as rej:
        if rej.code is not LocalRejectCode.MODEL_CONFORMANCE:
            log.info(
                "request %d view %s (informee only here): %s %s; not ours to reject",
                context.request.request_id,
                position_text(position),
                rej.code.name,
                rej.detail,
            )
            return None
        context.request.rejected = True
        return _rejected(
            RequestId(context.request.request_id),
            position,
            frozenset(PartyId(p) for p in hosted),
            LocalRejectCode.MODEL_CONFORMANCE,
            rej.detail,
            context=f" (declared policy vetoed for {', '.join(sorted(hosted))})",
        )
    return None


def _strs(values: Iterable[str]) -> frozenset[str]:
    return frozenset(str(v) for v in values)


def _text(reason: str) -> str:
    return reason[:1_000]


def _decrypt_views(
    request: PendingRequest,
    encrypted: tuple[EncryptedViewMessage, ...],
    root_hash: RootHash,
    *,
    key: EncryptionPrivateKey,
    domain: DomainId,
) -> None:
    """Step 2: decrypt every view into ``request``; each is of this domain and of the
    root hash message's ``root_hash``, no position twice, and the views merge."""
    for message in encrypted:
        if message.domain != domain:
            raise _RejectError(LocalRejectCode.MALFORMED, f"view for domain {message.domain}")
        if message.root_hash != root_hash:
            raise _RejectError(
                LocalRejectCode.ROOT_HASH_MISMATCH,
                "a view is of another root hash than the request's root hash message",
            )
        try:
            tree = message.decrypt(key)
        except ViewDecryptionError as exc:
            raise _RejectError(
                LocalRejectCode.MALFORMED, _text(f"view not decryptable: {exc}")
            ) from None
        except MalformedTransactionMessageError as exc:
            raise _RejectError(
                LocalRejectCode.MALFORMED, _text(f"view not decodable: {exc}")
            ) from None
        except (ViewMismatchError, RootHashMismatchError) as exc:
            raise _RejectError(LocalRejectCode.ROOT_HASH_MISMATCH, _text(str(exc))) from None
        if tree.position in request.views:
            raise _RejectError(LocalRejectCode.MALFORMED, "a view position is sent twice")
        request.views[tree.position] = tree
    if not request.views:
        return
    try:
        merged = merge_trees(t.tree for t in request.views.values())
    except RootHashMismatchError as exc:
        raise _RejectError(LocalRejectCode.ROOT_HASH_MISMATCH, _text(str(exc))) from None
    del merged


def _check_complete(request: PendingRequest, rhm_recipients: frozenset[MemberId]) -> None:
    """Step 2: the root hash message also went to the mediator the views name, and every
    subview of a received view was received."""
    tree = next(iter(request.views.values()))
    mediator = tree.common_metadata.mediator
    if mediator not in rhm_recipients:
        raise _RejectError(
            LocalRejectCode.ROOT_HASH_MISMATCH,
            f"the root hash message did not go to the mediator {mediator} the views name",
        )
    for position, view_tree in request.views.items():
        for index in range(len(view_tree.view.subviews)):
            if (*position, index) not in request.views:
                raise _RejectError(
                    LocalRejectCode.MALFORMED,
                    f"subview {position_text((*position, index))} of a received view missing",
                )


class _Context:
    """The per-request state of the view checks."""

    def __init__(
        self,
        request: PendingRequest,
        *,
        snapshot: TopologySnapshot,
        acs: ActiveContracts,
        engine: Engine,
        vetted: Collection[PackageId],
        me: MemberId,
        tolerance: int,
    ) -> None:
        self.request = request
        self.snapshot = snapshot
        self.acs = acs
        self.engine = engine
        self.vetted = vetted
        self.me = me
        self.tolerance = tolerance
        self.hosted = frozenset(snapshot.parties_hosted_by(me))
        self.created_here = request.created_ids()
        self.instances = request.input_instances()
        self._keys: KeyCheck | None = None

    @property
    def keys(self) -> KeyCheck:
        """Step 7k over this participant's whole projection (computed once)."""
        if self._keys is None:
            try:
                nodes = all_nodes(self.request.projection().roots)
            except ActionDecodeError as exc:
                raise _RejectError(LocalRejectCode.MALFORMED, _text(str(exc))) from None
            self._keys = check_keys(
                nodes,
                hosted=frozenset(PartyId(p) for p in self.hosted),
                holders=self.acs.key_holders,
                inputs=self.instances,
            )
        return self._keys

    def _hosted_stakeholder(self, instance: ContractInstance) -> bool:
        return bool(instance.stakeholders & self.hosted)

    def check_view(self, position: ViewPosition) -> None:
        req = self.request
        tree = req.views[position]
        action = req.actions[position]
        submitter_meta = tree.submitter_metadata
        act_as = frozenset(PartyId(p) for p in submitter_meta.act_as)

        # 3: submitter's rights
        for party in sorted(act_as):
            hosts = {
                h.participant
                for h in self.snapshot.active_hosts(party)
                if h.permission >= ParticipantPermission.SUBMISSION
            }
            if submitter_meta.submitting_participant not in hosts:
                raise _RejectError(
                    LocalRejectCode.TOPOLOGY,
                    f"{submitter_meta.submitting_participant} may not submit for {party}",
                )
        if submitter_meta.submitting_participant != req.submitter:
            raise _RejectError(LocalRejectCode.TOPOLOGY, "submitting participant is not the sender")

        # 4: ledger time
        ledger_time = tree.participant_metadata.ledger_time
        if abs(ledger_time - req.request_id) > self.tolerance:
            raise _RejectError(
                LocalRejectCode.LEDGER_TIME_OUT_OF_BOUNDS,
                f"ledger time {ledger_time} is more than {self.tolerance} µs from the "
                f"request time {req.request_id}",
            )

        # 5: the view's own data against its nodes
        if len(position) == 1 and action.authorizers != act_as:
            raise _RejectError(
                LocalRejectCode.MODEL_CONFORMANCE,
                "root view claims authorizers other than the act-as parties",
            )
        self.check_declared(position)

        # 6: re-interpretation
        self.check_reinterpretation(position)

        # 7, 8: activeness and locks of the contracts this view uses
        self._check_contracts(position)

    def check_declared(self, position: ViewPosition) -> None:
        """Step 5 (but the root authorizers): the view's informees, confirming parties
        and contract lists are those its nodes need."""
        req = self.request
        tree = req.views[position]
        node = req.actions[position].node
        own = list(iter_nodes((node,)))
        common = tree.common_data
        if _strs(common.informee_parties) != _strs(node.informees) or any(
            n.informees != node.informees for n in own
        ):
            raise _RejectError(
                LocalRejectCode.MODEL_CONFORMANCE, "view informees differ from its nodes"
            )
        confirming = frozenset().union(*(confirming_of(n) for n in own)) & node.informees
        if _strs(common.confirming_parties) != _strs(confirming):
            raise _RejectError(
                LocalRejectCode.MODEL_CONFORMANCE,
                "view confirming parties differ from those its nodes need",
            )
        data = tree.participant_data
        created = {n.contract_id for n in own if isinstance(n, CreateNode)}
        used = input_contract_ids(own)
        consumed = {n.contract_id for n in own if isinstance(n, ExerciseNode) and n.consuming}
        if (
            _strs(data.created) != _strs(created)
            or _strs(data.consumed) != _strs(consumed)
            or _strs(c.contract_id for c in data.inputs) != _strs(used)
        ):
            raise _RejectError(
                LocalRejectCode.MODEL_CONFORMANCE, "view contract lists differ from its nodes"
            )
        for item in data.inputs:
            try:
                instance = instance_from_bytes(item.contract)
            except ActionDecodeError as exc:
                raise _RejectError(LocalRejectCode.MALFORMED, _text(str(exc))) from None
            if str(instance.contract_id) != str(item.contract_id):
                raise _RejectError(LocalRejectCode.MALFORMED, "input contract bytes of another id")

    def check_reinterpretation(self, position: ViewPosition) -> None:
        """Step 6: re-interpreting the view gives its nodes (authorization included)."""
        req = self.request
        tree = req.views[position]
        action = req.actions[position]
        data = tree.participant_data
        ledger_time = tree.participant_metadata.ledger_time
        full = reassemble(position, req.actions)
        try:
            view = engine_view(
                full,
                seed=data.action_seed,
                authorizers=action.authorizers,
                ledger_time=ledger_time,
                contracts=self.instances,
            )
        except ActionDecodeError as exc:
            raise _RejectError(LocalRejectCode.MALFORMED, _text(str(exc))) from None
        try:
            self.engine.reinterpret(view, self.vetted)
        except ConformanceError as exc:
            cause = exc.__cause__
            if isinstance(cause, AuthorizationError):
                raise _RejectError(LocalRejectCode.AUTHORIZATION, _text(str(cause))) from None
            if isinstance(cause, PackageNotVettedError):
                raise _RejectError(LocalRejectCode.PACKAGE_NOT_VETTED, _text(str(cause))) from None
            if isinstance(cause, DuplicateKeyError):
                raise _RejectError(LocalRejectCode.KEY_CONFLICT, _text(str(cause))) from None
            raise _RejectError(LocalRejectCode.MODEL_CONFORMANCE, exc.reason) from None

    def _check_contracts(self, position: ViewPosition) -> None:
        """Steps 7, 7k, 8 and 8k: activeness and locks of the contracts and keys this view
        uses."""
        req = self.request
        data = req.views[position].participant_data
        own = list(iter_nodes((req.actions[position].node,)))
        for item in data.inputs:
            cid = ContractId(item.contract_id)
            instance = self.instances[cid]
            if not self._hosted_stakeholder(instance) or cid in self.created_here:
                continue
            held = self.acs.get(cid)
            if held is None:
                raise _RejectError(
                    LocalRejectCode.CONTRACT_NOT_ACTIVE, f"contract {cid} is not active"
                )
            if held[1] != item.contract:
                raise _RejectError(
                    LocalRejectCode.CONTRACT_NOT_ACTIVE,
                    f"contract {cid} differs from the active contract",
                )
        own_ids = [n.node_id for n in own]
        conflict = self.keys.conflict_at(own_ids)
        if conflict is not None:
            raise _RejectError(LocalRejectCode.KEY_CONFLICT, conflict.detail)
        for item in data.inputs:
            cid = ContractId(item.contract_id)
            holder = self.acs.locked_by(cid)
            if holder is not None and holder != req.request_id:
                raise _RejectError(
                    LocalRejectCode.CONTRACT_LOCKED,
                    f"contract {cid} is locked by the pending request {holder}",
                )
        for use in self.keys.uses_at(own_ids):
            holder = self.acs.key_locked_by(use.key_hash)
            if holder is not None and holder != req.request_id:
                raise _RejectError(
                    LocalRejectCode.KEY_CONFLICT,
                    f"key {use.key_hash} of {use.template_id} (node {use.node_id}) is locked "
                    f"by the pending request {holder}",
                )

    def locks(self) -> tuple[ContractId, ...]:
        """The contracts the request consumes that this participant holds."""
        out = set()
        for tree in self.request.views.values():
            for cid in tree.participant_data.consumed:
                contract = ContractId(cid)
                if (
                    contract in self.acs
                    and contract not in self.created_here
                    and self.acs.locked_by(contract) is None
                ):
                    out.add(contract)
        return tuple(sorted(out))

    def key_locks(self) -> tuple[KeyHash, ...]:
        """The keys with a hosted maintainer the request creates or frees (not locked by
        another request: that happens only where no view using them is confirmed here)."""
        try:
            changed = self.keys.changed
        except _RejectError:  # not projectable: no view was confirmed here either
            return ()
        return tuple(k for k in changed if self.acs.key_locked_by(k) is None)


def parse_view_trees(trees: list[TransactionViewTree]) -> dict[ViewPosition, TransactionViewTree]:
    return {t.position: t for t in trees}
