"""A run's stop request (SIGTERM / SIGINT), shared by every floor.

The CLI installs the handlers (`install()`); the handler only sets an event. Long work looks at
it between steps: the crawler between requests and inside a download, the task bodies before
they start. So a stop lands between steps, never inside a warehouse transaction.

The ground floor: imports nothing of the project.
"""
from __future__ import annotations

import signal
import threading

_stop = threading.Event()
_why: list[str] = []


class RunStopped(Exception):
    """Raised by a step that was asked to stop before it started."""


def request_stop(why: str = "stop requested") -> None:
    if not _stop.is_set():
        _why.append(why)
    _stop.set()


def requested() -> bool:
    return _stop.is_set()


def reason() -> str | None:
    return _why[0] if _why else None


def check(step: str) -> None:
    """Raise RunStopped when a stop was requested (call at the start of a step)."""
    if _stop.is_set():
        raise RunStopped(f"{reason()}: {step} not started")


def reset() -> None:
    _stop.clear()
    _why.clear()


def install() -> dict:
    """SIGTERM and SIGINT request a stop instead of killing the process mid-step; a second
    signal of either kind falls back to the previous handler (a second Ctrl-C interrupts).
    Returns the previous handlers (for `restore`). Main thread only."""
    previous = {}

    def handler(signum, frame):
        name = signal.Signals(signum).name
        if _stop.is_set():  # asked twice: do what the signal did before
            old = previous.get(signum)
            signal.signal(signum, old if old is not None else signal.SIG_DFL)
            signal.raise_signal(signum)
            return
        request_stop(f"stopped by {name}")

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)
    return previous


def restore(previous: dict) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old if old is not None else signal.SIG_DFL)
