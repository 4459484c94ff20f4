"""``/`` and ``/static/...``: the dashboard's files, with a strict Content-Security-Policy.

The dashboard (:mod:`oasis_server.dashboard`) is static: ``index.html`` at
``/`` (the OAuth callback redirects to ``/?platform=…#/social``, so any query
is accepted) and its CSS, ES modules and icon under ``/static/``. No route
needs a token and none is in the OpenAPI schema. Files are revalidated on
every load (``no-cache`` with an ``ETag``), so an upgraded server never mixes
old and new modules.

The policy allows scripts, styles and requests from this origin only (no
inline script or style); pictures and videos may also come from the blob
store's own origin when it hands out direct links (S3), and videos from
``blob:``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from oasis_server.api.context import ServerContext
from oasis_server.api.errors import not_found
from oasis_server.dashboard import STATIC_ROOT

log = logging.getLogger(__name__)

STATIC_PREFIX = "/static"
CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
"""The kinds of file served, by suffix; anything else under ``static/`` is not.

No ``charset`` here: Litestar adds ``; charset=utf-8`` to every ``text/`` type itself.
"""
CACHE_CONTROL = "no-cache"
_MEDIA_ORIGINS_KEY = "oasis_dashboard_media_origins"
_media_lock = threading.Lock()


def _store_origin(context: ServerContext) -> str | None:
    """The origin of the blob store's direct links (S3 presigned URLs), or ``None`` when it has none.

    Signing a link is a local computation, so asking for one for a key that
    does not exist costs nothing and reveals the host the links will use.
    """
    try:
        probe = context.blob_store().url("dashboard-csp-probe", expires_in=60)
    except Exception as exc:  # a misconfigured store must not take the dashboard down
        log.warning("Could not learn the blob store's link origin: %s", type(exc).__name__)
        return None
    return _origin(probe)


def _origin(link: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) link; ``None`` for anything else."""
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def media_sources(state: State) -> str:
    """The CSP sources pictures and videos may come from besides ``'self'`` (computed once per process).

    The blob store's own links (S3), and ``OASIS_PUBLIC_URL``'s origin: media links are absolute
    under it, which is another origin when the dashboard is opened at another address.
    """
    with _media_lock:
        cached: str | None = state.get(_MEDIA_ORIGINS_KEY)
    if cached is None:
        origins = (_store_origin(state.ctx), _origin(state.ctx.settings.public_url))
        cached = "".join(f" {origin}" for origin in dict.fromkeys(origins) if origin)
        with _media_lock:
            state[_MEDIA_ORIGINS_KEY] = cached
    return cached


def content_security_policy(media: str = "") -> str:
    """The policy every dashboard file is served with; ``media`` adds sources for pictures and videos."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' blob:{media}",
            f"media-src 'self' blob:{media}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def static_file(relative: str) -> Path | None:
    """The file under ``static/`` that ``relative`` names, or ``None`` (missing, outside, or not served)."""
    root = STATIC_ROOT
    candidate = (root / relative.lstrip("/")).resolve()
    if not candidate.is_relative_to(root) or candidate.suffix not in CONTENT_TYPES:
        return None
    return candidate if candidate.is_file() else None


def _serve(path: Path, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "Content-Security-Policy": content_security_policy(media_sources(state)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=CONTENT_TYPES[path.suffix], headers=headers)


@get("/", include_in_schema=False, sync_to_thread=True, security=[{}])
def dashboard_page(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    """The dashboard's single page (its hash router shows the right screen)."""
    page = static_file("index.html")
    if page is None:
        raise not_found("The dashboard is not installed")
    return _serve(page, request, state)


@get(f"{STATIC_PREFIX}/{{file_path:path}}", include_in_schema=False, sync_to_thread=True, security=[{}])
def dashboard_file(
    file_path: FromPath[Path], request: Request[Any, Any, Any], state: State
) -> Response[bytes]:
    """A stylesheet, script module or icon of the dashboard."""
    found = static_file(str(file_path))
    if found is None:
        raise not_found()
    return _serve(found, request, state)


ROUTES = [dashboard_page, dashboard_file]
