"""The submitter's vetting rule (``check_recipients_vetted``), over small fakes: every
participant hosting an informee must have vetted every package the nodes name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from participant.errors import PackageNotVettedByRecipientsError
from participant.protocol.submitter import check_recipients_vetted, used_packages

PKG_A, PKG_B = "a" * 64, "b" * 64
P1, P2 = "PAR::p1::" + "1" * 68, "PAR::p2::" + "2" * 68


@dataclass
class _Node:
    template_id: str


@dataclass
class _Host:
    participant: str


class _Tx:
    def __init__(self, informees: set[str], templates: list[str]) -> None:
        self.informees = frozenset(informees)
        self._nodes = [_Node(t) for t in templates]

    def nodes(self) -> list[_Node]:
        return self._nodes


class _Snapshot:
    def __init__(self, hosting: dict[str, list[str]]) -> None:
        self.hosting = hosting

    def active_hosts(self, party: str) -> tuple[_Host, ...]:
        return tuple(_Host(p) for p in self.hosting.get(party, []))


def _check(tx: _Tx, hosting: dict[str, list[str]], vetted: dict[str, set[str]]) -> None:
    check_recipients_vetted(
        cast(Any, tx), cast(Any, _Snapshot(hosting)), lambda p: vetted.get(p, set())
    )


def test_used_packages_are_those_of_every_node() -> None:
    tx = _Tx({"alice"}, [f"{PKG_A}:M:T", f"{PKG_B}:N:U", f"{PKG_A}:M:V"])
    assert used_packages(cast(Any, tx)) == {PKG_A, PKG_B}


def test_every_informee_participant_has_vetted_every_package() -> None:
    tx = _Tx({"alice", "bob"}, [f"{PKG_A}:M:T", f"{PKG_B}:N:U"])
    hosting = {"alice": [P1], "bob": [P2]}
    _check(tx, hosting, {P1: {PKG_A, PKG_B}, P2: {PKG_A, PKG_B}})
    with pytest.raises(PackageNotVettedByRecipientsError) as err:
        _check(tx, hosting, {P1: {PKG_A, PKG_B}, P2: {PKG_A}})
    assert err.value.missing == ((P2, PKG_B),)


def test_a_participant_hosting_no_informee_is_not_asked() -> None:
    tx = _Tx({"alice"}, [f"{PKG_A}:M:T"])
    _check(tx, {"alice": [P1], "bob": [P2]}, {P1: {PKG_A}})
