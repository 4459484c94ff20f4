"""One translator from errors to HTTP answers: always ``{"error": ...}``, never a traceback."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from oasis_core.errors import (
    InvalidInput,
    NeedsCredentials,
    NotFound,
    OasisError,
    ProviderError,
    RetryableProviderError,
)
from oasis_server.api.schemas import NO_CONTROL_CHARACTERS
from oasis_server.jobs.limits import LimitReached

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer with a status code and a message for the client."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.fields = fields


def not_found(what: str = "Not found") -> ApiError:
    """404: the object does not exist, or belongs to someone else (never say which)."""
    return ApiError(404, what)


def error_body(message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The error body every route answers with."""
    body: dict[str, Any] = {"error": message}
    if fields:
        body["fields"] = fields
    return body


def handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    """Our own errors."""
    return Response(error_body(exc.message, exc.fields), status_code=exc.status, headers=exc.headers)


TOO_DEEP = "Invalid request: the JSON body is nested too deeply"
_ROOT_KEYS = {"data", "body", ""}
_NAMED_FIELD = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`$")
_LENGTH = re.compile(r"^Expected `(?P<kind>str|array|object)` of length (?P<op>[<>]=) (?P<n>\d+)$")
_BOUND = re.compile(r"^Expected `(?:int|float|number)` (?P<op>[<>]=?) (?P<n>-?[\d.]+)$")
_WRONG_TYPE = re.compile(r"^Expected `(?P<want>[^`|]+)(?: \| null)?`, got `[^`]+`$")
_BAD_VALUE = re.compile(r"^Invalid (?:enum )?value (?P<value>.+)$")
_CONTROL = f"Expected `str` matching regex {NO_CONTROL_CHARACTERS!r}"
_UNITS = {"str": ("character", "characters"), "array": ("item", "items"), "object": ("entry", "entries")}
_BOUNDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}
_TYPES = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
}


def plain_field_error(key: str, message: str) -> tuple[str, str]:
    """A validator's complaint about ``key`` as ``(field, message)`` a person can act on.

    msgspec reports a missing or unknown member on the object that holds it
    (``data`` for the body); the field named is that member (``providers.llm``
    inside an object). Anything not recognised is passed on as it is.
    """
    if named := _NAMED_FIELD.match(message):
        name = named["name"] if key in _ROOT_KEYS else f"{key}.{named['name']}"
        return name, "Required" if named["what"] == "missing required" else "Not a field of this request"
    if length := _LENGTH.match(message):
        one, many = _UNITS[length["kind"]]
        unit = one if length["n"] == "1" else many
        return key, f"{_BOUNDS[length['op']].capitalize()} {length['n']} {unit}"
    if bound := _BOUND.match(message):
        return key, f"Must be {_BOUNDS[bound['op']]} {bound['n']}"
    if wrong := _WRONG_TYPE.match(message):
        want = _TYPES.get(wrong["want"])
        return key, f"Must be {want}" if want else message
    if message == _CONTROL:
        return key, "Must not contain control characters (such as tabs, line breaks or NUL)"
    if bad := _BAD_VALUE.match(message):
        return key, f"{bad['value']} is not an accepted value"
    return key, message


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Malformed bodies and parameters: 400 naming each field, in words a person can act on."""
    fields: dict[str, str] = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            name, message = plain_field_error(key, str(item.get("message", "invalid")))
            fields[name] = message
    summary = "; ".join(f"{k}: {v}" for k, v in fields.items()) or "Invalid request"
    return Response(error_body(f"Invalid request: {summary}", fields or None), status_code=400)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own HTTP errors (404 route, 405, 413 …) in our shape."""
    headers = dict(exc.headers or {})
    return Response(error_body(str(exc.detail)), status_code=exc.status_code, headers=headers)


def handle_oasis(request: Request[Any, Any, Any], exc: OasisError) -> Response[Any]:
    """Core errors: bad input 400, missing object 404, provider trouble 502/503."""
    if isinstance(exc, InvalidInput | NeedsCredentials):
        fields = {exc.field: exc.message} if isinstance(exc, InvalidInput) and exc.field else None
        return Response(error_body(exc.message, fields), status_code=400)
    if isinstance(exc, NotFound):
        return Response(error_body("Not found"), status_code=404)
    if isinstance(exc, LimitReached):
        return Response(
            error_body(exc.message), status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, RetryableProviderError):
        headers = {"Retry-After": str(int(exc.retry_after or 30))}
        return Response(error_body(exc.message), status_code=503, headers=headers)
    if isinstance(exc, ProviderError):
        return Response(error_body(exc.message), status_code=502)
    log.warning("Unmapped Oasis error on %s: %s", request.url.path, exc)
    return Response(error_body(exc.message), status_code=400)


def handle_database(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is down or unreachable: 503, with nothing of the SQL in the answer."""
    log.error("Database unavailable on %s: %s", request.url.path, type(exc).__name__)
    return Response(
        error_body("The database is unavailable; try again shortly"),
        status_code=503,
        headers={"Retry-After": "5"},
    )


# MySQL client errors that mean "cannot reach the server", and SQLite's busy/locked/unopenable answers
_UNREACHABLE_CODES = {1040, 1053, 1205, 2002, 2003, 2005, 2006, 2013, 2055}
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def database_unreachable(exc: Exception) -> bool:
    """Whether a database error means the database is down (503) rather than a bug (500)."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    args = getattr(exc.orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _UNREACHABLE_CODES
    return isinstance(exc, OperationalError) and str(exc.orig).lower().startswith(_SQLITE_UNAVAILABLE)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else: logged with its traceback, answered with a generic 500 (or 503 for an outage)."""
    if database_unreachable(exc) or isinstance(exc, RedisError):
        return handle_database(request, exc)
    if isinstance(exc, RecursionError):  # msgspec decoding a body nested thousands of levels deep
        return Response(error_body(TOO_DEEP), status_code=400)
    log.exception("Unexpected error on %s %s", request.method, request.url.path)
    return Response(error_body("Internal server error"), status_code=500)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ApiError: handle_api_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    OasisError: handle_oasis,
    Exception: handle_unexpected,
}
