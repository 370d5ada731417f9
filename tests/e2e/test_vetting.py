"""Package vetting through topology on the full network (three participant nodes with the
default ``vetting = "topology"``): the example packages are vetted by each node at its
start through the domain manager, so commands over them commit (the transaction tests run
on exactly this set-up); a package uploaded through one node's Ledger API is vetted there
and reported VETTED; a command whose informee participant has not vetted its package is
refused before anything is sent with ``PACKAGE_NOT_VETTED_BY_RECIPIENTS``, and commits
once that participant has uploaded (and so vetted) the package too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from participant.engine import CreateCommand, TemplateId
from participant.errors import PackageNotVettedByRecipientsError
from participant.ledger_api.backend import PackageStatus
from participant.ledger_api.errors import ErrorCode
from participant.ledger_api.status import error_for
from tests.e2e.support import Network, running_network
from tests.sequencer_chain.sequencer_support import wait_until
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]

NOTE_SOURCE = """
from participant.engine.api import Party, Text, package, template

PACKAGE = package("note", "1.0.0", module="Note")


@template
class Note:
    author: Party
    readers: list[Party]
    text: Text

    def signatory(self) -> list[Party]:
        return [self.author]

    def observer(self) -> list[Party]:
        return self.readers
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Network]:
    tmp: Path = tmp_path_factory.mktemp("e2e-vetting")
    async with running_domain(tmp) as domain, running_network(domain) as network:
        yield network


async def test_stored_packages_are_vetted_at_start_on_every_node(net: Network) -> None:
    for name, node in net.nodes.items():
        assert node.packages is not None and node.link is not None
        stored = {p.package_id for p in node.packages.list()}
        assert len(stored) == 3
        for observer in net.nodes.values():
            assert observer.link is not None
            snapshot = observer.link.topology.latest_snapshot()
            assert snapshot.vetted_packages(net.member(name)) == stored
        for package_id in stored:
            assert await net.backend(name).package_status(package_id) is PackageStatus.VETTED


async def test_a_package_one_informee_participant_has_not_vetted_is_refused(
    net: Network,
) -> None:
    details = await net.backend("p1").upload_package(NOTE_SOURCE.encode())
    package_id = details.package_id
    assert await net.backend("p1").package_status(package_id) is PackageStatus.VETTED
    assert await net.backend("p3").package_status(package_id) is PackageStatus.UNKNOWN
    note = TemplateId(f"{package_id}:Note:Note")

    def create(readers: list[str]) -> CreateCommand:
        parties = [net.party(r) for r in readers]
        return CreateCommand(note, {"author": net.party("alice"), "readers": parties, "text": "hi"})

    # Only p1 hosts an informee: vetted by every informee participant, commits.
    alone = await net.run("p1", ["alice"], create([]))
    assert alone.status.ok, alone.status

    # Carol (on p3, which has not vetted the package) reads it: refused before sending.
    with pytest.raises(PackageNotVettedByRecipientsError) as err:
        await net.submit("p1", ["alice"], create(["carol"]))
    assert err.value.missing == ((str(net.member("p3")), package_id),)
    answered = error_for(err.value)
    assert answered.code is ErrorCode.PACKAGE_NOT_VETTED
    assert answered.code.code_id == "PACKAGE_NOT_VETTED_BY_RECIPIENTS"
    assert answered.context == {"participants": str(net.member("p3")), "packages": package_id}

    # p3 uploads the package (vetting it through topology): the same command commits.
    await net.backend("p3").upload_package(NOTE_SOURCE.encode())
    assert await net.backend("p3").package_status(package_id) is PackageStatus.VETTED
    p1 = net.nodes["p1"].link
    assert p1 is not None
    # The upload returns once the vetting is effective at p3; p1 processes the same topology
    # event on its own stream, possibly a moment later.
    await wait_until(
        lambda: package_id in p1.topology.latest_snapshot().vetted_packages(net.member("p3")),
        30,
        "p1 to see p3's vetting",
    )
    vetted_by_p3 = p1.topology.latest_snapshot().vetted_packages(net.member("p3"))
    assert package_id in vetted_by_p3
    shared = await net.run("p1", ["alice"], create(["carol"]))
    assert shared.status.ok, shared.status
