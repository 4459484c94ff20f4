"""A small threaded HTTP server on 127.0.0.1 for fake cloud APIs.

A fake API subclasses :class:`FakeApi`, sets ``routes`` (method and a path
regular expression → handler) and answers with :class:`Reply`. Every request
is recorded (:attr:`FakeApi.requests`), and failures can be queued ahead of
the normal answers (:meth:`FakeApi.fail_next`) to script 401s, 429s, 5xx,
slow answers and malformed bodies.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from attrs import define, field


@define
class Reply:
    """One answer: a status, a body (dict/list → JSON, bytes as they are) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (to make a client time out)."""
    raw: bytes | None = None
    """Bytes sent as the body instead of ``body`` (malformed JSON, for one)."""


@define
class Recorded:
    """One request as the fake server saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")


Handler = Callable[[Recorded, "re.Match[str]"], Reply]


class FakeApi:
    """Base of the fake APIs: routing, recording, scripted failures, start and stop."""

    routes: tuple[tuple[str, str, str], ...] = ()
    """(method, path pattern, name of the handler method)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._failures: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._compiled = [(method, re.compile(pattern), name) for method, pattern, name in self.routes]

    # -- scripting ---------------------------------------------------------
    def fail_next(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order, before the normal answers."""
        with self._lock:
            self._failures.extend(replies)

    def requests_to(self, pattern: str) -> list[Recorded]:
        """The recorded requests whose path matches ``pattern``."""
        compiled = re.compile(pattern)
        return [request for request in self.requests if compiled.search(request.path)]

    # -- lifecycle ---------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        assert self._server is not None, "the fake server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApi:
        """Start serving on a free loopback port, in a daemon thread."""
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                recorded = Recorded(
                    self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body
                )
                reply = api._answer(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw is not None:
                    payload = reply.raw
                    content_type = reply.headers.get("Content-Type", "application/json")
                elif isinstance(reply.body, bytes):
                    payload = reply.body
                    content_type = reply.headers.get("Content-Type", "application/octet-stream")
                elif reply.body is None:
                    payload = b""
                    content_type = reply.headers.get("Content-Type", "application/json")
                else:
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        if name.lower() != "content-type":
                            self.send_header(name, value)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815 - http.server names

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextmanager
    def running(self) -> Iterator[FakeApi]:
        """Serve for the duration of a ``with`` block."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # -- dispatch ----------------------------------------------------------
    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self._failures.popleft() if self._failures else None
        if scripted is not None:
            return scripted
        for method, pattern, name in self._compiled:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                handler: Handler = getattr(self, name)
                try:
                    return handler(request, match)
                except Exception as exc:  # a bug in the fake: make it visible to the test
                    return Reply(500, {"error": {"message": f"fake server bug: {exc!r}"}})
        return Reply(404, {"error": {"message": f"no route for {request.method} {request.path}"}})
