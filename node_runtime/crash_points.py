"""Crash points: a test hook that kills the node process with SIGKILL at a named
protocol step, so that crash-recovery tests hit that step deterministically.

A crash point is **armed only by the environment** of the node process:
``CHAINDOMAIN_TEST_CRASH_AT=<point>`` or ``<point>@<n>`` (one of :class:`CrashPoint`;
``n`` ≥ 1: the n-th time the point is reached, so that earlier work is in flight when
the node dies; default 1). Nothing else arms one: no config key, no API, no message.
Unset (the default), :func:`reached` is one comparison that does nothing. An unknown
name or a bad count is refused at start (:func:`check_environment`, exit code 2), so a
typo cannot silently disarm a test.

When the armed point is reached the n-th time the node logs it at CRITICAL and sends
itself SIGKILL: no ``finally``, no ``atexit``, no flush of anything not already
committed, exactly as a power cut or the OOM killer. A test restarts the process
without the variable. Where each point sits (``docs/nodes.md`` §1.0):

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
from dataclasses import dataclass

from node_runtime.errors import ConfigError

log = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "CHAINDOMAIN_TEST_CRASH_AT"
"""The one switch: the name of the crash point to arm in this process."""


class CrashPoint(enum.StrEnum):
    """The named protocol steps a test can crash a node at (module docstring)."""

    PARTICIPANT_REQUEST_SENT = "participant.request-sent"
    PARTICIPANT_RESPONSE_SENT = "participant.response-sent"
    MEDIATOR_RESPONSE_COUNTED = "mediator.response-counted"


@dataclass(frozen=True, slots=True)
class ArmedPoint:
    """The point this process dies at, and at which time it is reached."""

    point: CrashPoint
    occurrence: int = 1


def _armed_from(value: str | None) -> ArmedPoint | None:
    if not value:
        return None
    name, _, count = value.partition("@")
    known = ", ".join(p.value for p in CrashPoint)
    problems = []
    try:
        point = CrashPoint(name)
    except ValueError:
        problems.append(f"unknown crash point {name!r}; known: {known}")
    occurrence = int(count) if count.isdigit() else 0
    if count and occurrence < 1:
        problems.append(f"the count after '@' must be an integer >= 1, got {count!r}")
    if problems:
        raise ConfigError(f"${ENVIRONMENT_VARIABLE}={value}", problems)
    return ArmedPoint(point, occurrence or 1)


class _Switch:
    """The process-wide state: the armed point (set once at start) and how often it was
    reached so far."""

    armed: ArmedPoint | None = None
    seen: int = 0


_switch = _Switch()


def check_environment() -> ArmedPoint | None:
    """Arm the point the environment names (``None`` when unset); called once by the
    node program before the node starts. Raises :class:`ConfigError` for an unknown
    name or a bad count."""
    armed = _armed_from(os.environ.get(ENVIRONMENT_VARIABLE))
    _switch.armed, _switch.seen = armed, 0
    if armed is not None:
        log.warning(
            "TEST HOOK ARMED: this process kills itself at crash point %s (time %d)",
            armed.point,
            armed.occurrence,
        )
    return armed


def reached(point: CrashPoint) -> None:
    """The node is at ``point``: if it is the armed one, reached for the armed time,
    die now with SIGKILL."""
    armed = _switch.armed
    if armed is None or armed.point is not point:
        return
    _switch.seen += 1
    if _switch.seen < armed.occurrence:
        log.info("crash point %s reached (%d of %d)", point, _switch.seen, armed.occurrence)
        return
    log.critical("crash point %s reached: SIGKILL", point)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.kill(os.getpid(), signal.SIGKILL)
