"""``/api/admin/users``: only admins, search, create, change, delete, and always one active admin."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, text
from tests.server.conftest import PASSWORD, auth, register

from oasis_server.api.context import ServerContext
from oasis_server.db.models import ApiKey, AuthToken, User, Video

USERS = "/api/admin/users"


@pytest.fixture
def admin(client: TestClient[Any]) -> tuple[str, dict[str, Any]]:
    """The first account, which is an admin."""
    token, user = register(client, "root@example.com", "Root Admin")
    assert user["role"] == "admin"
    return token, user


@pytest.fixture
def member(client: TestClient[Any], admin: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A second account: an ordinary user."""
    token, user = register(client, "member@example.com", "Mary Member")
    assert user["role"] == "user"
    return token, user


def to_the_second(user: dict[str, Any]) -> dict[str, Any]:
    """A user with its times cut to whole seconds (what MariaDB's DATETIME keeps)."""
    return user | {k: user[k][:19] if user[k] else None for k in ("created_at", "last_login")}


def login(client: TestClient[Any], email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def create(client: TestClient[Any], token: str, **fields: Any) -> Any:
    body = {"name": "New Person", "email": "new@example.com", "password": PASSWORD, **fields}
    return client.post(USERS, json=body, headers=auth(token))


def admin_calls(user_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("GET", USERS, None),
        ("POST", USERS, {"name": "X", "email": "x@example.com", "password": PASSWORD}),
        ("PUT", f"{USERS}/{user_id}", {"role": "admin"}),
        ("DELETE", f"{USERS}/{user_id}", None),
    ]


def test_every_admin_route_refuses_non_admins(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    member_token = member[0]
    calls = admin_calls(admin[1]["id"])
    routes = {
        (method, route.path)
        for route in client.app.routes
        if route.path.startswith("/api/admin")
        for method in route.methods
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routes == {
        ("GET", USERS),
        ("POST", USERS),
        ("PUT", f"{USERS}/{{user_id:str}}"),
        ("DELETE", f"{USERS}/{{user_id:str}}"),
    }
    for method, path, body in calls:
        response = client.request(method, path, json=body, headers=auth(member_token))
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "Only admins may do this"}
        assert client.request(method, path, json=body).status_code == 401, (method, path)
    # nothing changed
    assert login(client, "x@example.com").status_code == 401
    assert client.get("/api/auth/verify", headers=auth(admin[0])).json()["user"]["role"] == "admin"
    assert client.get("/api/auth/verify", headers=auth(member_token)).json()["user"]["role"] == "user"


def test_the_list_is_newest_first_with_a_total(
    client: TestClient[Any],
    admin: tuple[str, dict[str, Any]],
    member: tuple[str, dict[str, Any]],
    backend: str,
) -> None:
    token = admin[0]
    for n in range(3):
        assert create(client, token, email=f"extra{n}@example.com", name=f"Extra {n}").status_code == 201
    body = client.get(USERS, headers=auth(token)).json()
    assert body["total"] == 5
    assert body["limit"] == 20 and body["offset"] == 0
    emails = [u["email"] for u in body["items"]]
    created = [datetime.fromisoformat(u["created_at"]) for u in body["items"]]
    assert created == sorted(created, reverse=True)
    if backend == "sqlite":  # MariaDB's DATETIME keeps whole seconds: these may tie
        assert emails == [
            "extra2@example.com",
            "extra1@example.com",
            "extra0@example.com",
            "member@example.com",
            "root@example.com",
        ]
    assert sorted(emails) == [
        "extra0@example.com",
        "extra1@example.com",
        "extra2@example.com",
        "member@example.com",
        "root@example.com",
    ]
    assert all("password_hash" not in u and "password" not in u for u in body["items"])

    page = client.get(USERS, params={"limit": 2, "offset": 1}, headers=auth(token)).json()
    assert [u["email"] for u in page["items"]] == emails[1:3]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    bad_params: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"role": "owner"},
        {"status": "gone"},
        {"q": "x" * 256},
    ]
    for bad in bad_params:
        assert client.get(USERS, params=bad, headers=auth(token)).status_code == 400, bad


def test_filters(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    token = admin[0]
    create(client, token, email="pending@example.com", name="Penny Pending", status="pending")
    create(client, token, email="second.admin@corp.test", name="Ada Second", role="admin")

    def emails(**params: str) -> list[str]:
        response = client.get(USERS, params=params, headers=auth(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return sorted(u["email"] for u in body["items"])

    assert emails(role="admin") == ["root@example.com", "second.admin@corp.test"]
    assert emails(role="user") == ["member@example.com", "pending@example.com"]
    assert emails(status="pending") == ["pending@example.com"]
    assert emails(role="user", status="active") == ["member@example.com"]
    assert emails(q="corp.TEST") == ["second.admin@corp.test"]  # email, any case
    assert emails(q="mary") == ["member@example.com"]  # name, any case
    assert emails(q="  penny ") == ["pending@example.com"]
    assert emails(q="%") == []  # wildcards are literal
    assert emails(q="_") == []
    assert emails(q="nobody") == []
    assert emails(q="example.com", role="admin") == ["root@example.com"]


def test_create(client: TestClient[Any], admin: tuple[str, dict[str, Any]]) -> None:
    token = admin[0]
    response = create(client, token, email="  New.Person@Example.COM ", role="admin", status="active")
    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) == {
        "id",
        "name",
        "email",
        "role",
        "status",
        "created_at",
        "last_login",
        "avatar",
        "limits",
    }
    assert user["email"] == "new.person@example.com"
    assert (user["role"], user["status"], user["last_login"]) == ("admin", "active", None)
    assert login(client, "new.person@example.com").status_code == 200

    plain = create(client, token, email="plain@example.com").json()
    assert (plain["role"], plain["status"]) == ("user", "active")

    pending = create(client, token, email="later@example.com", status="pending").json()
    assert pending["status"] == "pending"
    assert login(client, "later@example.com").status_code == 403


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"email": "ROOT@example.com"}, 409),
        ({"password": "short"}, 400),
        ({"password": "é" * 37}, 400),  # 74 bytes
        ({"email": "not-an-email"}, 400),
        ({"role": "owner"}, 400),
        ({"status": "deleted"}, 400),
        ({"name": ""}, 400),
        ({"name": "x" * 256}, 400),
        ({"is_admin": True}, 400),
    ],
)
def test_create_refuses(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], fields: dict[str, Any], status: int
) -> None:
    response = create(client, admin[0], **fields)
    assert response.status_code == status, response.text
    assert "error" in response.json()


def test_update_fields(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    token, user_id = admin[0], member[1]["id"]
    path = f"{USERS}/{user_id}"
    response = client.put(
        path,
        json={"name": "  Mary   Q  ", "email": " Mary.Q@Example.com", "avatar": "https://img.test/m.png"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    user = response.json()
    assert (user["name"], user["email"], user["avatar"]) == (
        "Mary Q",
        "mary.q@example.com",
        "https://img.test/m.png",
    )
    assert (user["role"], user["status"]) == ("user", "active")
    # a name or email change keeps the user's sessions
    assert client.get("/api/auth/verify", headers=auth(member[0])).status_code == 200

    assert client.put(path, json={}, headers=auth(token)).json() == user  # nothing asked, nothing changed
    cleared = client.put(path, json={"avatar": None}, headers=auth(token)).json()
    assert cleared["avatar"] is None and cleared["name"] == "Mary Q"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "root@EXAMPLE.com"}, 409),
        ({"password": "1234567"}, 400),
        ({"password": "😀" * 19}, 400),  # 76 bytes
        ({"role": "superuser"}, 400),
        ({"status": "banned"}, 400),
        ({"email": "nope"}, 400),
        ({"avatar": "x" * 256}, 400),
        ({"name": None}, 400),
        ({"password_hash": "x"}, 400),
    ],
)
def test_update_refuses(
    client: TestClient[Any],
    admin: tuple[str, dict[str, Any]],
    member: tuple[str, dict[str, Any]],
    body: dict[str, Any],
    status: int,
) -> None:
    response = client.put(f"{USERS}/{member[1]['id']}", json=body, headers=auth(admin[0]))
    assert response.status_code == status, response.text
    after = client.get(USERS, params={"q": "member"}, headers=auth(admin[0])).json()["items"]
    defaults = {"queued_renders": 5, "concurrent_renders": 2, "automation_interval": 3600, "custom": []}
    assert [to_the_second(u) for u in after] == [
        to_the_second(member[1] | {"last_login": after[0]["last_login"], "limits": defaults})
    ]


def test_unknown_ids_are_404(client: TestClient[Any], admin: tuple[str, dict[str, Any]]) -> None:
    missing = f"{USERS}/00000000-0000-0000-0000-000000000000"
    assert client.put(missing, json={"name": "x"}, headers=auth(admin[0])).status_code == 404
    assert client.delete(missing, headers=auth(admin[0])).status_code == 404


def test_a_new_password_ends_the_sessions(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    new_password = "a brand new passphrase"
    response = client.put(
        f"{USERS}/{member[1]['id']}", json={"password": new_password}, headers=auth(admin[0])
    )
    assert response.status_code == 200
    assert client.get("/api/auth/verify", headers=auth(member[0])).status_code == 401
    assert login(client, "member@example.com").status_code == 401
    assert login(client, "member@example.com", new_password).status_code == 200
    assert client.get("/api/auth/verify", headers=auth(admin[0])).status_code == 200  # others unaffected


@pytest.mark.parametrize("status", ["inactive", "pending"])
def test_deactivation_ends_the_sessions_and_blocks_login(
    client: TestClient[Any],
    admin: tuple[str, dict[str, Any]],
    member: tuple[str, dict[str, Any]],
    context: ServerContext,
    status: str,
) -> None:
    response = client.put(f"{USERS}/{member[1]['id']}", json={"status": status}, headers=auth(admin[0]))
    assert response.status_code == 200 and response.json()["status"] == status
    assert client.get("/api/auth/verify", headers=auth(member[0])).status_code == 401
    assert login(client, "member@example.com").status_code == 403
    with context.sessions() as session:
        live = session.scalar(
            select(func.count())
            .select_from(AuthToken)
            .where(AuthToken.user_id == member[1]["id"], AuthToken.revoked_at.is_(None))
        )
    assert live == 0

    # reactivated: the old token stays dead, a new login works
    client.put(f"{USERS}/{member[1]['id']}", json={"status": "active"}, headers=auth(admin[0]))
    assert client.get("/api/auth/verify", headers=auth(member[0])).status_code == 401
    assert login(client, "member@example.com").status_code == 200


def test_promotion_gives_admin_rights_at_once(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    assert client.get(USERS, headers=auth(member[0])).status_code == 403
    client.put(f"{USERS}/{member[1]['id']}", json={"role": "admin"}, headers=auth(admin[0]))
    assert client.get(USERS, headers=auth(member[0])).status_code == 200


@pytest.mark.parametrize("body", [{"role": "user"}, {"status": "inactive"}, {"status": "pending"}])
def test_the_last_active_admin_cannot_be_demoted(
    client: TestClient[Any],
    admin: tuple[str, dict[str, Any]],
    member: tuple[str, dict[str, Any]],
    body: dict[str, str],
) -> None:
    token, admin_id = admin[0], admin[1]["id"]
    response = client.put(f"{USERS}/{admin_id}", json=body, headers=auth(token))
    assert response.status_code == 409
    assert "last active admin" in response.json()["error"]
    assert client.get("/api/auth/verify", headers=auth(token)).json()["user"]["role"] == "admin"
    assert client.get(USERS, headers=auth(token)).status_code == 200

    # an inactive admin does not count
    client.put(
        f"{USERS}/{member[1]['id']}", json={"role": "admin", "status": "inactive"}, headers=auth(token)
    )
    assert client.put(f"{USERS}/{admin_id}", json=body, headers=auth(token)).status_code == 409
    # a second active admin does
    client.put(f"{USERS}/{member[1]['id']}", json={"status": "active"}, headers=auth(token))
    response = client.put(f"{USERS}/{admin_id}", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    # and now that one is the last (its sessions ended when it was made inactive: sign in again)
    member_token = login(client, "member@example.com").json()["token"]
    assert client.put(f"{USERS}/{member[1]['id']}", json=body, headers=auth(member_token)).status_code == 409


def test_the_last_active_admin_cannot_be_deleted(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    token, admin_id = admin[0], admin[1]["id"]
    response = client.delete(f"{USERS}/{admin_id}", headers=auth(token))
    assert response.status_code == 409
    assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200

    client.put(f"{USERS}/{member[1]['id']}", json={"role": "admin"}, headers=auth(token))
    assert client.delete(f"{USERS}/{admin_id}", headers=auth(member[0])).status_code == 204
    assert client.get("/api/auth/verify", headers=auth(token)).status_code == 401
    assert client.delete(f"{USERS}/{member[1]['id']}", headers=auth(member[0])).status_code == 409


def test_an_admin_may_leave_when_another_remains(
    client: TestClient[Any], admin: tuple[str, dict[str, Any]], member: tuple[str, dict[str, Any]]
) -> None:
    client.put(f"{USERS}/{member[1]['id']}", json={"role": "admin"}, headers=auth(admin[0]))
    response = client.put(f"{USERS}/{admin[1]['id']}", json={"role": "user"}, headers=auth(admin[0]))
    assert response.status_code == 200
    assert client.get(USERS, headers=auth(admin[0])).status_code == 403  # no longer an admin


def test_delete_cascades_to_rows_and_stored_files(
    client: TestClient[Any],
    admin: tuple[str, dict[str, Any]],
    member: tuple[str, dict[str, Any]],
    context: ServerContext,
    tmp_path: Path,
) -> None:
    member_id = member[1]["id"]
    source = tmp_path / "clip.bin"
    source.write_bytes(b"not really a video")
    store = context.blob_store()
    store.put(f"videos/{member_id}/video.mp4", source)
    store.put(f"videos/{member_id}/thumb.jpg", source)
    store.put("videos/someone-else/video.mp4", source)
    with context.session() as session:
        session.add(ApiKey(user_id=member_id, provider="acme", api_key=context.secrets.encrypt("k" * 20)))
        session.add(
            Video(
                user_id=member_id,
                title="t",
                category="motivation",
                content="c",
                visual_prompt="p",
                style="cinematic",
                video_key=f"videos/{member_id}/video.mp4",
                thumbnail_key=f"videos/{member_id}/thumb.jpg",
            )
        )
        session.add(
            Video(
                user_id=member_id,
                title="unfinished",
                category="motivation",
                content="c",
                visual_prompt="p",
                style="cinematic",
            )
        )

    response = client.delete(f"{USERS}/{member_id}", headers=auth(admin[0]))
    assert response.status_code == 204
    assert response.content == b""
    with context.engine.connect() as conn:
        for table in ("users", "auth_tokens", "api_keys", "videos"):
            count = conn.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE {'id' if table == 'users' else 'user_id'} = :u"),
                {"u": member_id},
            ).scalar()
            assert count == 0, table
    assert not store.exists(f"videos/{member_id}/video.mp4")
    assert not store.exists(f"videos/{member_id}/thumb.jpg")
    assert store.exists("videos/someone-else/video.mp4")
    assert client.get("/api/auth/verify", headers=auth(member[0])).status_code == 401
    assert login(client, "member@example.com").status_code == 401
    assert client.delete(f"{USERS}/{member_id}", headers=auth(admin[0])).status_code == 404
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
