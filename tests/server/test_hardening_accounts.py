"""The first admin: exactly one, however many registrations arrive at once, on every backend."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

from sqlalchemy import func, select
from tests.server.conftest import PASSWORD

from oasis_server.accounts import AccountError, create_user
from oasis_server.api.context import ServerContext
from oasis_server.db.models import User
from oasis_server.security.passwords import PasswordHasher

REGISTRATIONS = 6


class SlowHasher(PasswordHasher):
    """bcrypt at the production cost takes about 250 ms: the window in which the race was won."""

    def hash(self, password: str) -> str:
        threading.Event().wait(0.2)
        return super().hash(password)


def _register_together(context: ServerContext, hasher: PasswordHasher, count: int) -> list[Any]:
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def register(index: int) -> None:
        barrier.wait()
        try:
            with context.session() as session:
                user = create_user(
                    session, hasher, name=f"User {index}", email=f"user{index}@example.com", password=PASSWORD
                )
                outcomes[index] = user.role
        except Exception as exc:  # reported below: every registration must succeed
            outcomes[index] = exc

    threads = [threading.Thread(target=register, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_concurrent_first_registrations_make_exactly_one_admin(context: ServerContext) -> None:
    outcomes = _register_together(context, SlowHasher(4), REGISTRATIONS)
    assert all(isinstance(role, str) for role in outcomes), outcomes
    assert sorted(outcomes) == ["admin"] + ["user"] * (REGISTRATIONS - 1)
    with context.sessions() as session:
        admins = session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
        total = session.scalar(select(func.count()).select_from(User))
    assert (admins, total) == (1, REGISTRATIONS)


def test_a_later_registration_is_never_admin_even_if_it_asks(context: ServerContext) -> None:
    hasher = PasswordHasher(4)
    with context.session() as session:
        first = create_user(session, hasher, name="First", email="first@example.com", password=PASSWORD)
    with context.session() as session:
        second = create_user(session, hasher, name="Second", email="second@example.com", password=PASSWORD)
    assert (first.role, second.role) == ("admin", "user")


def test_concurrent_registrations_of_one_email_make_one_account(context: ServerContext) -> None:
    hasher = SlowHasher(4)
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def register() -> None:
        barrier.wait()
        try:
            with context.session() as session:
                results.append(
                    create_user(
                        session, hasher, name="Same", email="same@example.com", password=PASSWORD
                    ).role
                )
        except AccountError as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=register) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results, key=str) == sorted(["admin", 409, 409], key=str)


def test_the_first_user_is_active_whatever_status_is_asked(context: ServerContext) -> None:
    hasher = PasswordHasher(4)
    with context.session() as session:
        user = create_user(
            session, hasher, name="Only", email="only@example.com", password=PASSWORD, status="pending"
        )
    assert (user.role, user.status) == ("admin", "active")


def _register_in_process(url: str, index: int, barrier: Any, results: Any) -> None:
    """A separate server process: its own engine and connections."""
    from oasis_server.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    barrier.wait()
    try:
        with sessions() as session, session.begin():
            user = create_user(
                session, SlowHasher(4), name=f"P{index}", email=f"p{index}@example.com", password=PASSWORD
            )
            results.put(user.role)
    except Exception as exc:  # reported by the test
        results.put(repr(exc))
    finally:
        engine.dispose()


def test_registrations_from_several_processes_make_exactly_one_admin(context: ServerContext) -> None:
    processes_context = multiprocessing.get_context("fork")
    barrier = processes_context.Barrier(4)
    results = processes_context.Queue()
    url = context.settings.database_url
    children = [
        processes_context.Process(target=_register_in_process, args=(url, n, barrier, results))
        for n in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    roles = sorted(results.get(timeout=5) for _ in children)
    assert roles == ["admin", "user", "user", "user"]
