"""``check_keys``: the key rules a maintainer's participant applies, on hand-built nodes."""

from __future__ import annotations

from participant.engine import (
    ContractId,
    CreateNode,
    ExerciseNode,
    FetchNode,
    LookupByKeyNode,
    Node,
    NodeId,
    PartyId,
    TemplateId,
)
from participant.engine.transaction import (
    ContractInstance,
    GlobalKey,
    KeyWithMaintainers,
    iter_nodes,
)
from participant.engine.values import RecordValue, TextValue, UnitValue
from participant.protocol.keys import KeyCheck, check_keys, key_hash

T = TemplateId("pkg:M:Account")
OWNER = PartyId("owner::1220aa")
OTHER = PartyId("other::1220bb")
ARG = RecordValue(T, ())
KEY = KeyWithMaintainers(TextValue("acct-1"), frozenset({OWNER}))
GK = GlobalKey(T, KEY.key)
KH = key_hash(GK)
HELD = ContractId("c-held")


def create(node_id: str, cid: str, key: KeyWithMaintainers | None = KEY) -> CreateNode:
    parties = frozenset({OWNER})
    return CreateNode(NodeId(node_id), ContractId(cid), T, ARG, parties, frozenset(), key,
                      parties, parties)  # fmt: skip


def exercise(
    node_id: str, cid: str, *children: Node, consuming: bool = True, by_key: bool = False
) -> ExerciseNode:
    parties = frozenset({OWNER})
    return ExerciseNode(
        NodeId(node_id), ContractId(cid), T, "Choice", consuming, ARG, parties, frozenset(),
        parties, parties, KEY if by_key else None, tuple(children), UnitValue(), parties, parties,
    )  # fmt: skip


def fetch_by_key(node_id: str, cid: str) -> FetchNode:
    parties = frozenset({OWNER})
    return FetchNode(NodeId(node_id), ContractId(cid), T, parties, parties, parties, KEY,
                     parties, parties)  # fmt: skip


def lookup(node_id: str, result: str | None) -> LookupByKeyNode:
    parties = frozenset({OWNER})
    found = None if result is None else ContractId(result)
    return LookupByKeyNode(NodeId(node_id), T, KEY, found, parties, parties)


def held_instance() -> ContractInstance:
    return ContractInstance(HELD, T, ARG, frozenset({OWNER}), frozenset(), KEY)


def run(*nodes: Node, held: bool = True, hosted: PartyId = OWNER) -> KeyCheck:
    """Pre-order over ``nodes`` (their children included), the key held by ``HELD`` or
    free in the ACS."""
    holders = frozenset({HELD}) if held else frozenset()
    return check_keys(
        iter_nodes(nodes),
        hosted=frozenset({hosted}),
        holders=lambda key: holders if key == GK else frozenset(),
        inputs={HELD: held_instance()},
    )


def test_a_create_of_a_free_key_passes_and_locks_it() -> None:
    result = run(create("0", "c-new"), held=False)
    assert result.conflicts == ()
    assert result.changed == (KH,)


def test_a_create_of_an_assigned_key_conflicts_naming_template_key_and_holder() -> None:
    result = run(create("0", "c-new"))
    (conflict,) = result.conflicts
    assert conflict.node_id == "0" and conflict.key_hash == KH
    assert T in conflict.detail and KH in conflict.detail and HELD in conflict.detail
    assert result.conflict_at([NodeId("0")]) == conflict
    assert result.conflict_at([NodeId("1")]) is None


def test_archiving_the_holder_first_frees_the_key_in_tree_order() -> None:
    # the archive of the holder, then the create (also as a consequence of the archive)
    assert run(exercise("0", HELD), create("1", "c-new")).conflicts == ()
    assert run(exercise("0", HELD, create("0.0", "c-new"))).conflicts == ()
    # both the freed and the assigned key are locked
    assert run(exercise("0", HELD), create("1", "c-new")).changed == (KH,)


def test_a_create_before_the_archive_of_the_holder_conflicts() -> None:
    result = run(create("0", "c-new"), exercise("1", HELD))
    assert [c.node_id for c in result.conflicts] == ["0"]


def test_a_non_consuming_exercise_does_not_free_the_key() -> None:
    result = run(exercise("0", HELD, consuming=False), create("1", "c-new"))
    assert [c.node_id for c in result.conflicts] == ["1"]
    assert result.changed == (KH,)  # the create; the exercise is no change


def test_a_key_created_twice_in_one_transaction_conflicts() -> None:
    result = run(create("0", "c-a"), create("1", "c-b"), held=False)
    (conflict,) = result.conflicts
    assert conflict.node_id == "1"
    assert "twice" in conflict.detail and "node 0" in conflict.detail
    # created, archived and created again is fine
    again = run(create("0", "c-a"), exercise("1", "c-a"), create("2", "c-b"), held=False)
    assert again.conflicts == ()


def test_lookups_must_find_the_holder_at_their_point_in_the_transaction() -> None:
    assert run(lookup("0", HELD)).conflicts == ()
    assert run(lookup("0", None), held=False).conflicts == ()
    assert [c.node_id for c in run(lookup("0", None)).conflicts] == ["0"]
    assert [c.node_id for c in run(lookup("0", "c-other")).conflicts] == ["0"]
    # after the archive the key is free; after a create it is the new contract's
    assert run(exercise("0", HELD), lookup("1", None)).conflicts == ()
    assert [c.node_id for c in run(exercise("0", HELD), lookup("1", HELD)).conflicts] == ["1"]
    assert run(create("0", "c-new"), lookup("1", "c-new"), held=False).conflicts == ()
    assert run(lookup("0", HELD)).changed == ()  # a lookup locks nothing


def test_by_key_uses_must_use_the_holder() -> None:
    assert run(fetch_by_key("0", HELD)).conflicts == ()
    assert [c.node_id for c in run(fetch_by_key("0", "c-other")).conflicts] == ["0"]
    assert [c.node_id for c in run(exercise("0", "c-x", by_key=True)).conflicts] == ["0"]
    assert run(exercise("0", HELD, by_key=True)).changed == (KH,)  # consuming: frees it


def test_keys_of_maintainers_not_hosted_here_are_not_checked() -> None:
    result = run(create("0", "c-new"), lookup("1", None), hosted=OTHER)
    assert result.conflicts == () and result.uses == ()


def test_creates_without_a_key_are_ignored() -> None:
    assert run(create("0", "c-new", key=None)).uses == ()


def test_the_key_hash_names_template_and_key() -> None:
    assert KH.startswith("1220") and len(KH) == 68
    assert key_hash(GlobalKey(TemplateId("pkg:M:Other"), KEY.key)) != KH
    assert key_hash(GlobalKey(T, TextValue("acct-2"))) != KH
