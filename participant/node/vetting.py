"""Package vetting through topology (``[protocol] vetting = "topology"``).

A participant vets packages with its ``VettedPackages`` mapping, signed by its namespace
key alone and forwarded by the domain manager's ``RequestVetting``. The mapping holds every
package the participant vets, so vetting more packages is a REPLACE at the last accepted
serial + 1 with the union (ADD at serial 1 the first time, or after a REMOVE). The serial
is read from this participant's topology store, which holds every accepted transaction
(effective or not yet), and changes are serialised here, so two uploads never race for
the same serial.

:meth:`PackageVetter.vet` returns once this participant's topology has handled an event at
or after the change's effective time (time proofs move time past a topology change delay),
so a package is usable for commands the moment it returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from node_runtime.member.dm_client import DomainManagerClientError
from participant.node.errors import VettingError
from participant.node.topology_changes import TopologyChanges
from protocol.timestamp import Timestamp
from protocol.topology import PackageId, VettedPackages
from protocol.topology.transactions import (
    Operation,
    Serial,
    TopologyTransaction,
    sign_transaction,
)

log = logging.getLogger(__name__)


class PackageVetter(TopologyChanges):
    """Vets packages of one participant through the domain manager."""

    def vetted(self) -> frozenset[PackageId]:
        """Packages vetted here in the latest effective topology."""
        return self.topology.latest_snapshot().vetted_packages(self.participant)

    def _head(self) -> tuple[int, frozenset[PackageId]]:
        """Last accepted serial of the mapping and the packages it holds (even if not
        effective yet); ``(0, {})`` when there is none."""
        key = VettedPackages(self.participant, ()).unique_key()
        serial, packages = 0, frozenset[PackageId]()
        for stored in self.topology.history():
            if stored.unique_key != key:
                continue
            tx = stored.signed.transaction
            if int(tx.serial) < serial:
                continue
            serial = int(tx.serial)
            mapping = tx.mapping
            removed = tx.operation is Operation.REMOVE
            packages = (
                frozenset()
                if removed or not isinstance(mapping, VettedPackages)
                else frozenset(mapping.packages)
            )
        return serial, packages

    async def vet(self, package_ids: Iterable[str]) -> bool:
        """Vet ``package_ids`` (with the ones vetted already); return once effective here.
        ``False`` when every one was vetted already (nothing sent). Raises
        :class:`VettingError` (code ``NO_DOMAIN_MANAGER``, ``TIMEOUT`` or the
        domain manager's refusal code)."""
        wanted = frozenset(PackageId(p) for p in package_ids)
        async with self._lock:
            serial, current = self._head()
            if wanted <= current:
                return False
            if self.dm is None:
                raise VettingError(
                    self.participant, "NO_DOMAIN_MANAGER", "[domain_manager] not set"
                )
            operation = Operation.REPLACE if self._active() else Operation.ADD
            mapping = VettedPackages(self.participant, tuple(current | wanted))
            tx = TopologyTransaction(operation, Serial(serial + 1), mapping)
            signed = sign_transaction(tx, [self.namespace_key])
            try:
                async with asyncio.timeout(self.timeout_s):
                    change = await self.dm.request_vetting(signed.encode())
            except TimeoutError:
                raise VettingError(
                    self.participant, "TIMEOUT", f"no answer in {self.timeout_s}s"
                ) from None
            except DomainManagerClientError as exc:
                code = getattr(exc, "code", "UNAVAILABLE")
                raise VettingError(self.participant, str(code), str(exc)) from exc
        await self._wait_effective(Timestamp(change.sequenced_at), Timestamp(change.effective_at))
        log.info(
            "vetted %d packages (serial %d), effective at %d",
            len(mapping.packages),
            change.serial,
            change.effective_at,
        )
        return True

    def _active(self) -> bool:
        """Whether the mapping is active in the head state (an empty vetting is active)."""
        key = VettedPackages(self.participant, ()).unique_key()
        last = None
        for stored in self.topology.history():
            if stored.unique_key == key:
                last = stored
        return last is not None and last.signed.transaction.operation is not Operation.REMOVE

    async def _wait_effective(self, sequenced_at: Timestamp, effective_at: Timestamp) -> None:
        try:
            await self._until_effective(sequenced_at, effective_at, "vetting")
        except TimeoutError:
            raise VettingError(
                self.participant, "TIMEOUT", f"vetting not effective here within {self.timeout_s}s"
            ) from None
