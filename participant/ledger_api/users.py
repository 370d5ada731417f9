"""User management: participant users and their rights, persisted in sqlite.

The store is the participant's :class:`auth.UserRightsLookup`: a token naming user
``sub`` gets exactly the rights stored here, at the moment of each call (a revoked right
takes effect on the next call). A deactivated or deleted user has no rights at all.
Every change commits (WAL, ``synchronous=FULL``) before the call is answered.

Like Daml, the participant creates its bootstrap administrator (``participant_admin``
by default) with ``ParticipantAdmin`` on first start, so that the first real users can
be created with a token for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auth import CanActAs, CanReadAs, IdentityProviderAdmin, ParticipantAdmin, UserId, UserRight
from auth.types import is_valid_user_id
from participant.engine.types import is_party
from participant.ledger_api.errors import (
    InvalidArgumentError,
    UserAlreadyExistsError,
    UserNotFoundError,
)

DEFAULT_ADMIN_USER = UserId("participant_admin")
MAX_PAGE_SIZE = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    primary_party TEXT NOT NULL,
    is_deactivated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_rights (
    user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    party TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, party)
);
"""


@dataclass(frozen=True, slots=True)
class User:
    user_id: UserId
    primary_party: str = ""
    is_deactivated: bool = False


def _row(right: UserRight) -> tuple[str, str]:
    match right:
        case CanActAs(party):
            return ("can_act_as", party)
        case CanReadAs(party):
            return ("can_read_as", party)
        case ParticipantAdmin():
            return ("participant_admin", "")
        case IdentityProviderAdmin():
            return ("identity_provider_admin", "")
    raise TypeError(f"not a user right: {right!r}")  # pragma: no cover


def _right(kind: str, party: str) -> UserRight:
    if kind == "can_act_as":
        return CanActAs(party)
    if kind == "can_read_as":
        return CanReadAs(party)
    if kind == "participant_admin":
        return ParticipantAdmin()
    return IdentityProviderAdmin()


def check_user_id(user_id: str, field: str) -> UserId:
    if not user_id:
        raise InvalidArgumentError(field, "must not be empty", missing=True)
    if not is_valid_user_id(user_id):
        raise InvalidArgumentError(field, "1..128 of [A-Za-z0-9@^$.!`-#+'~_|:] expected")
    return UserId(user_id)


def check_rights(rights: Iterable[UserRight], field: str) -> frozenset[UserRight]:
    out = frozenset(rights)
    for i, right in enumerate(sorted(out, key=_row)):
        if isinstance(right, CanActAs | CanReadAs) and not is_party(right.party):
            raise InvalidArgumentError(
                f"{field}[{i}].party", f"{right.party[:80]!r} is not a party"
            )
    return out


class UserStore:
    """Users and rights in ``path`` (sqlite); one instance per participant."""

    def __init__(self, path: str | Path, *, admin_user: UserId | None = DEFAULT_ADMIN_USER) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._lock = asyncio.Lock()
        if admin_user is not None and self._get(admin_user) is None:
            self._create(User(admin_user), frozenset({ParticipantAdmin()}))

    def close(self) -> None:
        self._db.close()

    # --- sync core (each public method runs one of these under the lock) --------------

    def _get(self, user_id: str) -> User | None:
        row = self._db.execute(
            "SELECT user_id, primary_party, is_deactivated FROM users WHERE user_id = ?",
            (user_id,),
        ).fetchone()
        return None if row is None else User(UserId(row[0]), row[1], bool(row[2]))

    def _rights(self, user_id: str) -> frozenset[UserRight]:
        rows = self._db.execute(
            "SELECT kind, party FROM user_rights WHERE user_id = ?", (user_id,)
        ).fetchall()
        return frozenset(_right(k, p) for k, p in rows)

    def _create(self, user: User, rights: frozenset[UserRight]) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO users VALUES (?, ?, ?)",
                (user.user_id, user.primary_party, int(user.is_deactivated)),
            )
            self._db.executemany(
                "INSERT INTO user_rights VALUES (?, ?, ?)",
                [(user.user_id, *_row(r)) for r in rights],
            )
            self._db.execute("COMMIT")
        except sqlite3.IntegrityError:
            self._db.execute("ROLLBACK")
            raise UserAlreadyExistsError(user.user_id) from None

    # --- the API ----------------------------------------------------------------------

    async def user_rights(self, user_id: UserId) -> frozenset[UserRight] | None:
        """:class:`auth.UserRightsLookup`: ``None`` for an unknown or deactivated user."""
        async with self._lock:
            user = self._get(user_id)
            if user is None or user.is_deactivated:
                return None
            return self._rights(user_id)

    async def create_user(self, user: User, rights: Iterable[UserRight]) -> User:
        checked = check_rights(rights, "rights")
        if user.primary_party and not is_party(user.primary_party):
            raise InvalidArgumentError("user.primary_party", "not a party id")
        async with self._lock:
            self._create(user, checked)
        return user

    async def get_user(self, user_id: UserId) -> User:
        async with self._lock:
            user = self._get(user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def delete_user(self, user_id: UserId) -> None:
        async with self._lock:
            cursor = self._db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        if cursor.rowcount == 0:
            raise UserNotFoundError(user_id)

    async def list_users(self, page_token: str, page_size: int) -> tuple[list[User], str]:
        """Users after ``page_token`` (a user id), ordered by id; next token or ``""``."""
        size = MAX_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
        async with self._lock:
            rows = self._db.execute(
                "SELECT user_id, primary_party, is_deactivated FROM users "
                "WHERE user_id > ? ORDER BY user_id LIMIT ?",
                (page_token, size + 1),
            ).fetchall()
        users = [User(UserId(r[0]), r[1], bool(r[2])) for r in rows[:size]]
        return users, (users[-1].user_id if len(rows) > size else "")

    async def grant_rights(self, user_id: UserId, rights: Iterable[UserRight]) -> list[UserRight]:
        """Grant ``rights``; return those the user did not have yet."""
        checked = check_rights(rights, "rights")
        async with self._lock:
            if self._get(user_id) is None:
                raise UserNotFoundError(user_id)
            new = sorted(checked - self._rights(user_id), key=_row)
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR IGNORE INTO user_rights VALUES (?, ?, ?)",
                [(user_id, *_row(r)) for r in new],
            )
            self._db.execute("COMMIT")
        return new

    async def revoke_rights(self, user_id: UserId, rights: Iterable[UserRight]) -> list[UserRight]:
        """Revoke ``rights``; return those the user had."""
        checked = check_rights(rights, "rights")
        async with self._lock:
            if self._get(user_id) is None:
                raise UserNotFoundError(user_id)
            gone = sorted(checked & self._rights(user_id), key=_row)
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "DELETE FROM user_rights WHERE user_id = ? AND kind = ? AND party = ?",
                [(user_id, *_row(r)) for r in gone],
            )
            self._db.execute("COMMIT")
        return gone

    async def list_rights(self, user_id: UserId) -> list[UserRight]:
        async with self._lock:
            if self._get(user_id) is None:
                raise UserNotFoundError(user_id)
            return sorted(self._rights(user_id), key=_row)
