"""Building the engine and sessions for SQLite (embedded, WAL) or MySQL/MariaDB (PyMySQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

QUERY_TIMEOUT = 5
"""Seconds a MySQL read or write may take before the request fails (503) instead of hanging."""


def make_engine(url: str, *, query_timeout: int = QUERY_TIMEOUT, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys turned on.

    On MySQL every read and write is bounded by ``query_timeout`` seconds, so
    a hung server gives a 503 rather than a hung request; migrations pass a
    longer one.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # a hung server must not hang requests: bound every read and write too
    timeouts = {"connect_timeout": 5, "read_timeout": query_timeout, "write_timeout": query_timeout}
    return create_engine(url, connect_args=timeouts, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
