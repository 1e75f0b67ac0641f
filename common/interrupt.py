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
_handler = None  # ours, once install() ran: rearm() puts it back


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


def rearm() -> None:
    """Put our handlers back (Airflow's task runner sets its own SIGTERM handler for every task
    it runs in this process, and never restores the previous one). Main thread only."""
    if _handler is None or threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(sig) is not _handler:
            signal.signal(sig, _handler)


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

    global _handler
    _handler = handler
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)
    return previous


def restore(previous: dict) -> None:
    global _handler
    _handler = None
    for sig, old in previous.items():
        signal.signal(sig, old if old is not None else signal.SIG_DFL)
