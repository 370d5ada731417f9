"""Values of the ``auth`` package: the verified claims of a token and the rights model.

A token says *who* (audience- and scope-based tokens: a user id) or *what may be done*
(custom-claims tokens: ``actAs``/``readAs``/``admin`` inline). :class:`AuthClaims` holds
either, as verified; :class:`EffectiveRights` is what a service checks against, after a
user's rights were looked up in the participant's user management through a
:class:`UserRightsLookup`. Parties and user ids are plain strings here: ``auth`` compares
them, it does not parse them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import NewType, Protocol, runtime_checkable

UserId = NewType("UserId", str)
"""A participant user id (Daml grammar: 1..128 of ``[A-Za-z0-9@^$.!`\\-#+'~_|:]``)."""

USER_ID_RE = re.compile(r"[A-Za-z0-9@^$.!`\-#+'~_|:]{1,128}")

LEDGER_API_SCOPE = "daml_ledger_api"
"""The scope that marks a scope-based Ledger API token."""

PARTICIPANT_AUDIENCE_PREFIX = "https://daml.com/jwt/aud/participant/"
"""Audience-based tokens name their participant as ``<prefix><participantId>``."""

CUSTOM_CLAIMS_KEY = "https://daml.com/ledger-api"
"""The claim holding the legacy custom-claims object."""


def participant_audience(participant_id: str) -> str:
    """The audience an audience-based token for ``participant_id`` carries."""
    return PARTICIPANT_AUDIENCE_PREFIX + participant_id


def is_valid_user_id(text: str) -> bool:
    return USER_ID_RE.fullmatch(text) is not None


class TokenFormat(enum.Enum):
    """Daml's three Ledger API token formats."""

    AUDIENCE = "audience"
    """``aud`` contains ``https://daml.com/jwt/aud/participant/<id>``; ``sub`` is the user."""
    SCOPE = "scope"
    """``scope`` contains ``daml_ledger_api``; ``sub`` is the user."""
    CUSTOM = "custom"
    """Legacy: rights inline in the ``https://daml.com/ledger-api`` object."""


# --- rights ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CanActAs:
    """May submit commands as ``party`` (and therefore read as it)."""

    party: str

    def __str__(self) -> str:
        return f"CanActAs({self.party})"


@dataclass(frozen=True, slots=True)
class CanReadAs:
    """May read the ledger as ``party``."""

    party: str

    def __str__(self) -> str:
        return f"CanReadAs({self.party})"


@dataclass(frozen=True, slots=True)
class ParticipantAdmin:
    """May manage parties, packages and users of the participant."""

    def __str__(self) -> str:
        return "ParticipantAdmin"


@dataclass(frozen=True, slots=True)
class IdentityProviderAdmin:
    """May manage users and parties of its identity provider (a narrower admin)."""

    def __str__(self) -> str:
        return "IdentityProviderAdmin"


UserRight = CanActAs | CanReadAs | ParticipantAdmin | IdentityProviderAdmin
"""One right of a participant user, as Daml's user management grants them."""


@runtime_checkable
class UserRightsLookup(Protocol):
    """The participant's user management, as far as authorization needs it."""

    async def user_rights(self, user_id: UserId) -> frozenset[UserRight] | None:
        """The rights of ``user_id``; ``None`` if there is no such (active) user."""
        ...


# --- claims ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthClaims:
    """The verified content of a Ledger API token: signature, times and audience checked."""

    format: TokenFormat
    """Which of Daml's formats the token had."""
    user_id: UserId | None
    """``sub`` of audience/scope tokens (always set); of custom tokens only if present."""
    expires_at: float | None
    """``exp`` as POSIX seconds; ``None`` only if the verifier does not require it."""
    issuer: str | None = None
    """``iss``, if the token had one."""
    audiences: tuple[str, ...] = ()
    """``aud`` as a tuple (a single string becomes one element)."""
    scopes: tuple[str, ...] = ()
    """``scope`` split on spaces."""
    participant_id: str | None = None
    """Audience tokens: from ``aud``; custom tokens: ``participantId``."""
    application_id: str | None = None
    """Custom tokens: ``applicationId``; audience/scope tokens: the user id (Daml's rule)."""
    ledger_id: str | None = None
    """Custom tokens: ``ledgerId``, if present."""
    act_as: frozenset[str] = frozenset()
    """Custom tokens only: the ``actAs`` parties."""
    read_as: frozenset[str] = frozenset()
    """Custom tokens only: the ``readAs`` parties."""
    admin: bool = False
    """Custom tokens only: ``admin``."""
    key_id: str | None = None
    """The ``kid`` of the key that verified the signature (``None`` for HS256)."""
    algorithm: str = ""
    """The signature algorithm that was verified."""

    @property
    def carries_rights(self) -> bool:
        """Whether the rights are in the token (custom claims) rather than user management."""
        return self.format is TokenFormat.CUSTOM

    @property
    def subject(self) -> str:
        """Who this is, for messages: ``user 'alice'`` or ``custom-claims token``."""
        if self.carries_rights:
            return "custom-claims token" + (f" of '{self.user_id}'" if self.user_id else "")
        return f"user '{self.user_id}'"

    def inline_rights(self) -> frozenset[UserRight]:
        """The rights a custom-claims token carries (empty for user tokens)."""
        if not self.carries_rights:
            return frozenset()
        rights: set[UserRight] = {CanActAs(p) for p in self.act_as}
        rights |= {CanReadAs(p) for p in self.read_as}
        if self.admin:
            rights.add(ParticipantAdmin())
        return frozenset(rights)


@dataclass(frozen=True, slots=True)
class EffectiveRights:
    """What the caller of one request may do: the input of every ``require_*`` check."""

    subject: str
    """For messages: ``user 'alice'`` or ``custom-claims token``."""
    user_id: UserId | None
    """The authenticated user, if the token named one."""
    rights: frozenset[UserRight]
    """Every right held."""
    expires_at: float | None
    """When the token stops being valid (POSIX seconds)."""
    application_id: str | None = None
    """The application id the token fixes (Daml: commands must carry the same)."""
    act_as: frozenset[str] = field(init=False)
    """Parties with CanActAs."""
    read_as: frozenset[str] = field(init=False)
    """Parties readable: CanReadAs plus CanActAs (acting implies reading)."""

    def __post_init__(self) -> None:
        act = frozenset(r.party for r in self.rights if isinstance(r, CanActAs))
        read = frozenset(r.party for r in self.rights if isinstance(r, CanReadAs))
        object.__setattr__(self, "act_as", act)
        object.__setattr__(self, "read_as", act | read)

    @property
    def is_participant_admin(self) -> bool:
        return ParticipantAdmin() in self.rights

    @property
    def is_identity_provider_admin(self) -> bool:
        return IdentityProviderAdmin() in self.rights
