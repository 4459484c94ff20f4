"""The served OpenAPI schema is one that client generators turn into a clean client.

The generated client itself is exercised in tests/integration/test_generated_client.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from oasis_core.domain.keys import KeyStatus
from oasis_core.domain.publishing import AccountStatus, PostStatus
from oasis_core.domain.video import RenderStage, VideoStatus
from oasis_server.api.schemas import UserRole, UserStatus

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture
def schema(client: TestClient[Any]) -> dict[str, Any]:
    answer = client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def walk(node: Any) -> list[dict[str, Any]]:
    """Every object inside ``node``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


@pytest.mark.backends("sqlite")
def test_every_operation_id_is_camel_case_and_unique(schema: dict[str, Any]) -> None:
    ids = [operation.get("operationId", "") for _, _, operation in operations(schema)]
    assert len(ids) > 30
    assert [name for name in ids if not CAMEL_CASE.match(name)] == []
    assert len(set(ids)) == len(ids)


@pytest.mark.backends("sqlite")
def test_statuses_and_stages_are_the_domains_enums(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for enum in (VideoStatus, RenderStage, PostStatus, AccountStatus, UserRole, UserStatus, KeyStatus):
        assert components[enum.__name__]["enum"] == [member.value for member in enum], enum.__name__
    expected = {
        ("VideoStatusOut", "status"): "VideoStatus",
        ("VideoStatusOut", "stage"): "RenderStage",
        ("VideoOut", "status"): "VideoStatus",
        ("VideoOut", "stage"): "RenderStage",
        ("PostOut", "status"): "PostStatus",
        ("AccountOut", "status"): "AccountStatus",
        ("UserOut", "role"): "UserRole",
        ("UserOut", "status"): "UserStatus",
        ("KeyOut", "status"): "KeyStatus",
        ("KeyTestOut", "status"): "KeyStatus",
    }
    for (model, field), enum_name in expected.items():
        assert components[model]["properties"][field] == {"$ref": f"#/components/schemas/{enum_name}"}


@pytest.mark.backends("sqlite")
def test_nullable_enums_refer_to_one_named_enum(schema: dict[str, Any]) -> None:
    """An inline ``enum`` with ``null`` among its values becomes three identical classes in openapi-python-client."""
    inline_nullable = [node for node in walk(schema) if "enum" in node and None in node["enum"]]
    assert inline_nullable == []
    status = next(p for p in schema["paths"]["/api/video/list"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"] == {"oneOf": [{"$ref": "#/components/schemas/VideoStatus"}, {"type": "null"}]}


@pytest.mark.backends("sqlite")
def test_media_answers_are_binary(schema: dict[str, Any]) -> None:
    media = schema["paths"]["/api/media/{video_id}/{name}"]["get"]
    assert media["operationId"] == "getMedia"
    for status in ("200", "206"):
        content = media["responses"][status]["content"]
        assert set(content) == {"video/mp4", "image/jpeg", "application/octet-stream"}
    files = 0
    for _, _, operation in operations(schema):
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if status.startswith("2") and content and not any(kind.endswith("json") for kind in content):
                files += 1
                assert "application/octet-stream" in content, operation["operationId"]
                assert all(
                    kind["schema"] == {"type": "string", "format": "binary"} for kind in content.values()
                )
    assert files >= 2


@pytest.mark.backends("sqlite")
def test_routes_without_a_token_say_so_with_an_empty_requirement(schema: dict[str, Any]) -> None:
    """``security: []``: generators let a client without a token call them (``[{}]`` makes them ask for one)."""
    anonymous = {
        operation["operationId"] for _, _, operation in operations(schema) if "security" in operation
    }
    assert {"register", "login", "health", "getMedia", "socialCallback"} <= anonymous
    for _, _, operation in operations(schema):
        assert operation.get("security", []) == [], operation["operationId"]
    assert schema["security"] == [{"BearerToken": []}]  # every other route
