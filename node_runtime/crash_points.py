"""Crash points: a test hook that kills the node process with SIGKILL at a named
protocol step, so that crash-recovery tests hit that step deterministically.

A crash point is **armed only by the environment** of the node process:
``CHAINDOMAIN_TEST_CRASH_AT=<point>`` (one of :class:`CrashPoint`). Nothing else arms
one: no config key, no API, no message. Unset (the default), :func:`reached` is a dict
lookup that does nothing. An unknown name is refused at start
(:func:`check_environment`, exit code 2), so a typo cannot silently disarm a test.

When the armed point is reached the node logs it at CRITICAL and sends itself SIGKILL:
no ``finally``, no ``atexit``, no flush of anything not already committed, exactly as
a power cut or the OOM killer. A test restarts the process without the variable. Where
each point sits (``docs/nodes.md`` §1):

==========================================  ====================================================
point                                       reached
==========================================  ====================================================
``participant.request-sent``                the submitter's confirmation request is recorded and
                                            handed to the sequencer (before any verdict)
``participant.response-sent``               a confirming participant's responses for a request are
                                            committed with the request and handed to the sequencer
                                            (before the verdict)
``mediator.response-counted``               the mediator committed an accepted response for a
                                            request that stays undecided (between responses)
==========================================  ====================================================
"""

from __future__ import annotations

import enum
import logging
import os
import signal

from node_runtime.errors import ConfigError

log = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "CHAINDOMAIN_TEST_CRASH_AT"
"""The one switch: the name of the crash point to arm in this process."""


class CrashPoint(enum.StrEnum):
    """The named protocol steps a test can crash a node at (module docstring)."""

    PARTICIPANT_REQUEST_SENT = "participant.request-sent"
    PARTICIPANT_RESPONSE_SENT = "participant.response-sent"
    MEDIATOR_RESPONSE_COUNTED = "mediator.response-counted"


def _armed_from(value: str | None) -> CrashPoint | None:
    if not value:
        return None
    try:
        return CrashPoint(value)
    except ValueError:
        known = ", ".join(p.value for p in CrashPoint)
        raise ConfigError(
            f"${ENVIRONMENT_VARIABLE}", [f"unknown crash point {value!r}; known: {known}"]
        ) from None


_armed: CrashPoint | None = None
"""Set by :func:`check_environment` at node start; ``None`` disarms every point."""


def check_environment() -> CrashPoint | None:
    """Arm the point the environment names (``None`` when unset); called once by the
    node program before the node starts. Raises :class:`ConfigError` for an unknown
    name."""
    global _armed  # noqa: PLW0603 (one process-wide switch, set once at start)
    _armed = _armed_from(os.environ.get(ENVIRONMENT_VARIABLE))
    if _armed is not None:
        log.warning("TEST HOOK ARMED: this process kills itself at crash point %s", _armed)
    return _armed


def reached(point: CrashPoint) -> None:
    """The node is at ``point``: if it is the armed one, die now with SIGKILL."""
    if _armed is not point:
        return
    log.critical("crash point %s reached: SIGKILL", point)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.kill(os.getpid(), signal.SIGKILL)
