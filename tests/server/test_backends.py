"""What must hold on every database backend: the migrations, the column types, the constraints.

Each test runs on SQLite and on MariaDB (see conftest.py); the API suite as a
whole does too, so this file checks what the routes would not show directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from tests.server.conftest import NO_DOTENV, PASSWORD, auth, register

from oasis_server.api.context import ServerContext
from oasis_server.cli.server_commands import prepare_database
from oasis_server.db.engine import make_engine
from oasis_server.db.migrate import is_current, upgrade
from oasis_server.db.models import AuthToken, Base, User, Video
from oasis_server.settings import Settings

TABLES = {"users", "auth_tokens", "api_keys", "videos", "social_accounts", "scheduled_posts"}


def make_user(ctx: ServerContext, email: str = "someone@example.com") -> str:
    with ctx.session() as session:
        user = User(name="Someone", email=email, password_hash="x")
        session.add(user)
        session.flush()
        return user.id


def test_the_migrations_build_every_table_and_are_current(context: ServerContext, backend: str) -> None:
    inspector = inspect(context.engine)
    assert set(inspector.get_table_names()) >= TABLES
    assert is_current(context.engine)
    assert context.engine.dialect.name == {"sqlite": "sqlite", "mariadb": "mysql"}[backend]
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys()), table.name


def test_upgrading_twice_changes_nothing(context: ServerContext) -> None:
    upgrade(context.engine)
    assert is_current(context.engine)


@pytest.mark.backends("mariadb")
def test_a_server_database_must_be_upgraded_before_serving(mariadb_url: str, api_env: dict[str, str]) -> None:
    api_env["DATABASE_URL"] = mariadb_url
    settings = Settings.from_env(api_env, dotenv=NO_DOTENV)
    with pytest.raises(Exception, match="oasis db upgrade"):
        prepare_database(settings)
    engine = make_engine(mariadb_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    prepare_database(settings)  # now it starts


@pytest.mark.backends("mariadb")
def test_the_database_and_tables_are_utf8mb4(context: ServerContext) -> None:
    with context.engine.connect() as connection:
        charset = connection.execute(text("SELECT @@character_set_database")).scalar_one()
        tables = connection.execute(
            text(
                "SELECT table_name, table_collation FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            )
        ).all()
    assert charset == "utf8mb4"
    assert {row[1].split("_")[0] for row in tables} == {"utf8mb4"}


def test_any_unicode_text_comes_back_unchanged(client: TestClient[Any]) -> None:
    name = "Zoë Ångström 🌴 日本語 𝄞"
    token, user = register(client, "zoe@example.com", name=name)
    assert user["name"] == name
    verified = client.get("/api/auth/verify", headers=auth(token)).json()
    assert verified["user"]["name"] == name


def test_times_keep_microseconds_and_come_back_in_utc(context: ServerContext) -> None:
    user_id = make_user(context)
    moment = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)
    with context.session() as session:
        session.add(
            AuthToken(id="t1", user_id=user_id, token="digest-1", created_at=moment, expires_at=moment)
        )
    with context.sessions() as session:
        stored = session.get(AuthToken, "t1")
        assert stored is not None
        assert stored.created_at.tzinfo is not None
        assert stored.created_at == moment, "sub-second precision lost: newest-first lists would tie"


def test_newest_first_holds_for_rows_made_within_one_second(context: ServerContext) -> None:
    user_id = make_user(context)
    start = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)
    with context.session() as session:
        for index in range(5):
            session.add(
                Video(
                    id=f"v{index}",
                    user_id=user_id,
                    title=f"video {index}",
                    category="motivation",
                    content="quote",
                    visual_prompt="prompt",
                    style="cinematic",
                    created_at=start + timedelta(milliseconds=100 * (4 - index)),  # against id order
                )
            )
    with context.sessions() as session:
        order = session.scalars(
            select(Video.id).where(Video.user_id == user_id).order_by(Video.created_at.desc())
        ).all()
    assert order == ["v0", "v1", "v2", "v3", "v4"]


def test_json_columns_round_trip(context: ServerContext) -> None:
    user_id = make_user(context)
    providers = {"llm": "offline", "speech": "espeak", "nested": {"list": [1, 2.5, None, "é"]}}
    with context.session() as session:
        session.add(
            Video(
                id="v",
                user_id=user_id,
                title="t",
                category="c",
                content="q",
                visual_prompt="p",
                style="s",
                providers=providers,
            )
        )
    with context.sessions() as session:
        video = session.get(Video, "v")
        assert video is not None
        assert video.providers == providers
        assert video.usage == {}
        assert (video.status, video.stage, video.progress, video.attempts) == ("processing", "queued", 0, 0)


def test_emails_are_unique(context: ServerContext) -> None:
    make_user(context, "same@example.com")
    with pytest.raises(IntegrityError), context.session() as session:
        session.add(User(name="Other", email="same@example.com", password_hash="x"))


def test_duplicate_registration_is_409_not_500(client: TestClient[Any]) -> None:
    register(client, "twice@example.com")
    response = client.post(
        "/api/auth/register", json={"name": "Again", "email": " TWICE@example.com ", "password": PASSWORD}
    )
    assert response.status_code == 409, response.text


def test_enum_columns_refuse_unknown_values(context: ServerContext) -> None:
    user_id = make_user(context)
    # PyMySQL reports MariaDB's CHECK failure (4025) as an OperationalError, not an IntegrityError
    with pytest.raises((IntegrityError, OperationalError)), context.engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'root' WHERE id = :id"), {"id": user_id})


def test_deleting_a_user_cascades_to_its_rows(context: ServerContext) -> None:
    user_id = make_user(context)
    moment = datetime.now(UTC)
    with context.session() as session:
        session.add(AuthToken(id="t", user_id=user_id, token="d", expires_at=moment))
        session.add(
            Video(
                id="v",
                user_id=user_id,
                title="t",
                category="c",
                content="q",
                visual_prompt="p",
                style="s",
            )
        )
    with context.session() as session:
        session.execute(delete(User).where(User.id == user_id))
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuthToken)) == 0
        assert session.scalar(select(func.count()).select_from(Video)) == 0


def test_the_api_works_end_to_end(client: TestClient[Any]) -> None:
    assert (
        client.get("/api/health").json().items() >= {"status": "ok", "database": "ok", "broker": "ok"}.items()
    )
    token, user = register(client, "first@example.com")
    assert user["role"] == "admin"
    login = client.post("/api/auth/login", json={"email": "first@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["last_login"] is not None
    assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200
    assert client.post("/api/auth/logout", headers=auth(token)).status_code == 204
    assert client.get("/api/auth/verify", headers=auth(token)).status_code == 401
    _, second = register(client, "second@example.com")
    assert second["role"] == "user"


def test_hot_reads_stay_off_the_event_loop_on_a_server_database(context: ServerContext, backend: str) -> None:
    """On MariaDB a read may wait for the network or a lock, so it runs in a worker thread; on SQLite inline."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    async def where_it_ran() -> tuple[int, int]:
        return threading.get_ident(), await context.read(threading.get_ident)

    with ThreadPoolExecutor(1) as runner:  # a loop of its own, whatever the test runner has running
        loop_thread, read_thread = runner.submit(asyncio.run, where_it_ran()).result()
    assert (read_thread == loop_thread) == (backend == "sqlite")


def test_the_video_list_reads_one_index_newest_first(context: ServerContext) -> None:
    """The list's ``ORDER BY created_at DESC, id DESC`` comes from the index (no sort step on SQLite)."""
    names = {index["name"]: index["column_names"] for index in inspect(context.engine).get_indexes("videos")}
    assert names["ix_videos_user_newest"] == ["user_id", "created_at", "id"]
    if context.engine.dialect.name == "sqlite":
        from oasis_server.api.video import _list_statements

        page, _ = _list_statements(False, False)
        sql = str(page.compile(context.engine))
        with context.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("x", 20, 0)).all()
        steps = " ".join(str(step[-1]) for step in plan)
        assert "ix_videos_user_newest" in steps and "TEMP B-TREE" not in steps, steps
