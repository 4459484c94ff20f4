"""The dashboard: a web UI of plain HTML, CSS and ES modules served at ``/`` by ``oasis serve``.

It is a client of the public JSON API and nothing else: it signs in through
``/api/auth``, keeps the bearer token in ``sessionStorage`` and calls the same
routes any other frontend would. :mod:`oasis_server.api.dashboard` serves the
files in ``static/`` with a strict Content-Security-Policy; there is no build
step, no CDN and no framework.
"""

from __future__ import annotations

from pathlib import Path

STATIC_ROOT = Path(__file__).resolve().parent / "static"
"""The folder holding ``index.html``, ``app.css`` and ``js/``."""
