"""A run's stop request (SIGTERM / SIGINT), shared by every floor.

The CLI installs the handlers (`install()`); the handler only sets an event. Long work looks at
it between steps: the crawler between requests and inside a download, the task bodies before
they start. So a stop lands between steps, never inside a warehouse transaction.

The ground floor: imports nothing of the project.
"""
from __future__ import annotations

import os
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


def _watch(fd: int) -> None:
    """Read the signal numbers the interpreter writes to the wakeup fd — whoever's Python
    handler runs (ours, or the one Airflow's task runner installs for every task): the first
    SIGTERM / SIGINT requests a stop, a second one ends the process at once (as a kill would:
    every load is one transaction)."""
    seen = 0
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT):
                seen += 1
                name = signal.Signals(signum).name
                if seen == 1:
                    request_stop(f"stopped by {name}")
                else:
                    os._exit(128 + signum)


def install() -> dict:
    """SIGTERM and SIGINT request a stop instead of killing the process mid-step; a second one
    ends it. Returns what to restore (`restore`). Main thread only.

    The request is noticed through the interpreter's wakeup fd, which every Python-level
    handler feeds, so it survives Airflow replacing the handler."""
    global _handler

    def handler(signum, frame):  # the watcher counts the signal; this only keeps the process alive
        request_stop(f"stopped by {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    _handler = handler
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous["wakeup_fd"] = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    previous["pipe"] = (read_fd, write_fd)
    threading.Thread(target=_watch, args=(read_fd,), name="carbonwatch-signals", daemon=True).start()
    return previous


def restore(previous: dict) -> None:
    global _handler
    _handler = None
    signal.set_wakeup_fd(previous.pop("wakeup_fd", -1))
    read_fd, write_fd = previous.pop("pipe", (None, None))
    for sig, old in previous.items():
        signal.signal(sig, old if old is not None else signal.SIG_DFL)
    if write_fd is not None:
        os.close(write_fd)  # the watcher reads EOF and ends
