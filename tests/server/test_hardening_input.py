"""Bad input is a 4xx, never a 500: each input seen to break the server, then hostile values everywhere.

The first tests replay what a red-team pass sent to a live server (a
non-ASCII signature, a superscript digit, a 5,000-digit range, a date that
overflows in UTC, a cron that never fires, JSON nested 100,000 deep, control
characters in names and emails). The last one sends hostile strings and
numbers to every parameter and body field of every route in the OpenAPI
document, signed in as an admin (so admin routes parse their input too), and
asserts that no answer is a 5xx.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from tests.server.conftest import auth, register
from tests.server.video_support import insert_video, server_fake_catalog

from oasis_core.catalog import ProviderCatalog
from oasis_server.api.context import ServerContext
from oasis_server.api.media import MediaLinks, link_expiry

OVERFLOWING_TIMES = ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59")
NESTING = 100_000
HOSTILE_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "line\nbreak",
    "\t",
    "\u202e",
    "\u2028",
    "²",
    "٣",
    "𝟗",
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "9" * 5000,
    "-" + "9" * 5000,
    *OVERFLOWING_TIMES,
    "0 0 31 2 *",
    "* * * * * * *",
    "../../etc/passwd",
    "%00",
    "%ff%fe",
    "😀" * 300,
    "x" * 70_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "ada@example.com\r\nBcc: eve@example.com",
    "null",
    "true",
    "[]",
    "{}",
)
HOSTILE_VALUES: tuple[Any, ...] = (
    *HOSTILE_TEXT,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    -0.0,
    1e308,
    True,
    None,
    [],
    {},
    ["\x00"],
    {"": None},
    json.loads("[" * 40 + "]" * 40),
)
SKIPPED_ROUTES = {("/api/admin/users/{user_id}", "delete")}
"""The signed-in admin deleting themself would sign the rest of the run out (it is a 409 anyway)."""


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    """Fake providers: nothing reaches a network."""
    return server_fake_catalog()


@pytest.fixture
def admin(client: TestClient[Any]) -> str:
    """A signed-in admin's token (the first user)."""
    return register(client, "admin@example.com")[0]


def stored_video(context: ServerContext, user_id: str, tmp_path: Path) -> str:
    """A completed video with a 1,000-byte file in the blob store; returns the signed link to it."""
    source = tmp_path / "video.mp4"
    source.write_bytes(b"\x00" * 1000)
    video_id = str(uuid.uuid4())
    key = f"videos/{video_id}/test/video.mp4"
    context.blob_store().put(key, source, content_type="video/mp4")
    insert_video(context, user_id, id=video_id, status="completed", video_key=key)
    link = MediaLinks(context).link(video_id, "video", key)
    assert link is not None
    return link


@pytest.mark.parametrize(
    "query",
    [
        "expires={expires}&sig=\u00e9" + "0" * 63,
        "expires={expires}&sig=%F0%9F%98%80",
        "expires=%C2%B2&sig=00",
        "expires=%D9%A3%D9%A3&sig=00",
        "expires=" + "9" * 19 + "&sig=00",
    ],
    ids=["non-ascii-sig", "emoji-sig", "superscript-expires", "arabic-digits", "huge-expires"],
)
def test_a_malformed_media_link_is_403(
    client: TestClient[Any], context: ServerContext, admin: str, tmp_path: Path, query: str
) -> None:
    user_id = client.get("/api/auth/verify", headers=auth(admin)).json()["user"]["id"]
    link = stored_video(context, user_id, tmp_path)
    path = link.split("?")[0]
    response = client.get(f"{path}?{query.format(expires=link_expiry())}")
    assert response.status_code == 403, response.text
    assert client.get(link).status_code == 200  # the real link still works


@pytest.mark.parametrize(
    ("header", "status", "length"),
    [
        ("bytes=" + "9" * 5000 + "-", 416, None),
        ("bytes=0-" + "9" * 5000, 206, 1000),
        ("bytes=-" + "9" * 5000, 206, 1000),
        ("bytes=" + "9" * 5000 + "-" + "9" * 5001, 416, None),
        ("bytes=\u0661-\u0662", 200, 1000),  # Arabic digits are not digits in HTTP: ignored
        ("bytes=10-19", 206, 10),
    ],
    ids=["huge-first", "huge-last", "huge-suffix", "huge-both", "arabic", "plain"],
)
def test_a_range_of_any_length_is_answered_without_an_error(
    client: TestClient[Any],
    context: ServerContext,
    admin: str,
    tmp_path: Path,
    header: str,
    status: int,
    length: int | None,
) -> None:
    user_id = client.get("/api/auth/verify", headers=auth(admin)).json()["user"]["id"]
    link = stored_video(context, user_id, tmp_path)
    response = client.get(link, headers={"Range": header.encode("utf-8")})
    assert response.status_code == status, response.text
    if length is not None:
        assert len(response.content) == length


@pytest.mark.parametrize("moment", OVERFLOWING_TIMES)
def test_a_time_that_overflows_in_utc_is_400(client: TestClient[Any], admin: str, moment: str) -> None:
    video_id = "00000000-0000-0000-0000-000000000000"
    body = {"video_id": video_id, "platforms": ["fake"], "scheduled_time": moment}
    response = client.post("/api/schedule", json=body, headers=auth(admin))
    assert response.status_code == 400 and "scheduled_time" in response.json()["error"], response.text
    connect = {"platform": "fake", "access_token": "token", "expires_at": moment}
    assert client.post("/api/social/connect", json=connect, headers=auth(admin)).status_code == 400


def test_a_cron_that_never_fires_is_400(client: TestClient[Any], admin: str) -> None:
    body = {
        "name": "Never",
        "cron": "0 0 31 2 *",
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": [],
    }
    response = client.post("/api/automations", json=body, headers=auth(admin))
    assert response.status_code == 400, response.text
    assert "never fires" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/auth/register"),
        ("post", "/api/auth/login"),
        ("post", "/api/video/generate"),
        ("post", "/api/automations"),
        ("put", "/api/admin/users/x"),
    ],
)
def test_json_nested_a_hundred_thousand_deep_is_400(
    client: TestClient[Any], admin: str, method: str, path: str
) -> None:
    for body in ("[" * NESTING + "]" * NESTING, '{"a":' * NESTING + "1" + "}" * NESTING):
        response = client.request(
            method, path, content=body, headers={**auth(admin), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert "nested too deeply" in response.json()["error"]


@pytest.mark.parametrize("bad", ["Ada\x00", "Ada\nLovelace", "Ada\x1b[31m", "Ada\u2028", "Ada\x85"])
def test_names_and_emails_with_control_characters_are_400(
    client: TestClient[Any], admin: str, bad: str
) -> None:
    register_body = {"name": bad, "email": "ada@example.com", "password": "correct horse battery"}
    response = client.post("/api/auth/register", json=register_body)
    assert response.status_code == 400 and "control characters" in response.json()["fields"]["name"]
    email = {**register_body, "name": "Ada", "email": f"ada{bad[3:]}@example.com"}
    assert client.post("/api/auth/register", json=email).status_code == 400
    assert client.post("/api/admin/users", json=email, headers=auth(admin)).status_code == 400
    automation = {
        "name": bad,
        "cron": "0 9 * * *",
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": [],
    }
    assert client.post("/api/automations", json=automation, headers=auth(admin)).status_code == 400


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "delete", "patch"} and (path, method) not in SKIPPED_ROUTES
    ]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(base body, field) pairs: each object branch of the JSON body with each of its properties."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return []
    root = _resolve(document, content["schema"])
    branches = [_resolve(document, branch) for branch in root.get("oneOf", root.get("anyOf", [root]))]
    pairs = []
    for branch in branches:
        properties = branch.get("properties", {})
        base = {name: prop["const"] for name, prop in properties.items() if "const" in prop}
        pairs.extend((base, name) for name in properties if name not in base)
    return pairs


def test_hostile_values_in_every_parameter_and_field_are_never_a_5xx(
    client: TestClient[Any], context: ServerContext, admin: str
) -> None:
    document = client.get("/schema/openapi.json").json()
    targets: list[tuple[str, str, str, Any]] = []  # (path, method, where, what)
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] in {"path", "query", "header"}:
                targets.append((path, method, parameter["in"], parameter["name"]))
        for base, name in _body_fields(document, operation):
            targets.append((path, method, "body", (base, name)))
        if "requestBody" in operation:
            targets.append((path, method, "whole-body", None))
    assert len({(path, method) for path, method, _, _ in targets}) >= 20, "the routes were not all found"

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(target=st.sampled_from(targets), value=st.sampled_from(HOSTILE_VALUES) | st.text(max_size=40))
    def probe(target: tuple[str, str, str, Any], value: Any) -> None:
        path, method, where, what = target
        url, params, headers, body = path, {}, dict(auth(admin)), None
        if where == "path":
            url = path.replace("{" + what + "}", quote(str(value), safe="") or "%20")
        elif where == "query":
            params[what] = value if isinstance(value, str) else json.dumps(value)
        elif where == "header":
            text = value if isinstance(value, str) else json.dumps(value)
            if any(ord(c) > 127 or ord(c) < 32 for c in text):
                return  # not a header value a client can send
            headers[what] = text
        elif where == "body":
            base, name = what
            body = {**base, name: value}
        else:
            body = value
        url = url.replace("{", "%7B").replace("}", "%7D")  # other path parameters, left as they are
        try:
            content = None if body is None and where != "whole-body" else json.dumps(body)
        except ValueError:
            return
        try:
            response = client.request(
                method,
                url,
                params=params,
                content=content,
                headers={**headers, "Content-Type": "application/json"},
            )
        except httpx.InvalidURL:
            return  # longer than any client sends (the server's own limits are tested with bodies)
        assert response.status_code < 500, f"{method.upper()} {url} {where}={value!r}: {response.text}"

    probe()
