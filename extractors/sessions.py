"""HTTP sessions of the crawler: one per crawl by default, or one per thread shared by the crawls
that thread runs one after the other (a shard's companies), so that a kept-alive connection to a
host serves the next company there (sites that share a host: a disclosure system's file
server, a group's common site) and no session is built and torn down per company.

    with SessionPool(config) as sessions:          # config: a CrawlConfig
        crawl_source(source, raw_dir, known, config, session=sessions.get())
"""
from __future__ import annotations

import threading

import requests


def new_session(config) -> requests.Session:
    """A session with the crawler's User-Agent; proxies from the environment only if asked."""
    session = requests.Session()
    session.trust_env = bool(getattr(config, "trust_env", False))
    session.headers.update({"User-Agent": config.user_agent, "Accept-Encoding": "identity", "Accept": "*/*"})
    return session


class SessionPool:
    """One session per thread (requests' sessions are not to be shared between threads at
    once), all closed together."""

    def __init__(self, config) -> None:
        self.config = config
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = new_session(self.config)
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> "SessionPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
