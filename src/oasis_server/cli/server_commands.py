"""``oasis serve``, ``oasis db upgrade`` and ``oasis secrets`` (``oasis users`` is in :mod:`.users_commands`)."""

from __future__ import annotations

import argparse
import errno
import os
import socket
from pathlib import Path
from typing import Any

from oasis_core.errors import OasisError


def register(commands: Any) -> None:
    """Add the server sub-commands."""
    serve = commands.add_parser(
        "serve", help="run the HTTP API (and, without REDIS_URL, a worker in-process)"
    )
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 3000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--no-access-log", action="store_true", help="do not log each request")
    serve.set_defaults(handler=run_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply the migrations")
    upgrade.set_defaults(handler=run_db_upgrade)

    secrets = commands.add_parser("secrets", help="encryption keys for stored secrets")
    secrets_commands = secrets.add_subparsers(dest="secrets_command", metavar="COMMAND")
    rotate = secrets_commands.add_parser("rotate", help="re-encrypt every stored secret under the newest key")
    rotate.set_defaults(handler=run_secrets_rotate)
    generate = secrets_commands.add_parser("generate", help="print a new key for OASIS_SECRET_KEYS")
    generate.set_defaults(handler=run_secrets_generate)


def _settings() -> Any:
    from oasis_server.settings import Settings

    return Settings.from_env()


def prepare_database(settings: Any) -> None:
    """Upgrade an embedded SQLite database; refuse to start on an out-of-date server database."""
    from oasis_server.db.engine import make_engine
    from oasis_server.db.migrate import is_current, upgrade

    _private_data(settings)
    engine = make_engine(settings.database_url, query_timeout=3600)
    try:
        if settings.is_sqlite:
            upgrade(engine)
        elif not is_current(engine):
            raise OasisError("The database schema is out of date: run `oasis db upgrade` first")
    finally:
        engine.dispose()


def _private_data(settings: Any) -> None:
    """The data folder 0700 and, on SQLite, the database file 0600 before SQLite creates it."""
    from sqlalchemy.engine import make_url

    from oasis_server.data_folder import private_file, private_folder

    private_folder(settings.data_dir)
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            private_file(private_folder(Path(database).parent) / Path(database).name)


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`OasisError` saying the port is taken if ``host:port`` cannot be listened on.

    Tried before anything says "serving on", on every address ``host``
    resolves to, the way uvicorn's server binds them (``SO_REUSEADDR``, so a
    port in TIME_WAIT after a restart is not "taken"; IPv6 sockets IPv6-only).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OasisError(f"Cannot listen on {host!r}: {exc.strerror}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise OasisError(
                        f"Port {port} on {host} is already in use by another program: stop it, or choose "
                        "another port with --port or PORT"
                    ) from None
                raise OasisError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run_serve(args: argparse.Namespace) -> int:
    """Start uvicorn with the Oasis app."""
    import logging

    import uvicorn

    from oasis_server import log_format, log_redaction

    if args.port is not None and not 0 < args.port < 65536:
        raise OasisError(f"--port {args.port} is not accepted: a port number from 1 to 65535")
    if args.workers < 1:
        raise OasisError(f"--workers {args.workers} is not accepted: a whole number of at least 1")
    settings = _settings()
    prepare_database(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    check_port_free(host, port)
    # The app reads its settings from the environment again: it must see the address chosen here
    # (a development server without OASIS_PUBLIC_URL gets OAuth callbacks at http://HOST:PORT).
    os.environ["HOST"], os.environ["PORT"] = host, str(port)
    log_redaction.install()
    level = log_format.level_for(debug=args.debug, quiet=args.quiet, default=logging.INFO)
    log_format.configure(level)  # a server logs what it does: INFO, in the one format
    trusted = ",".join(str(network) for network in settings.trusted_proxies)
    logging.getLogger(__name__).info(
        "Oasis is serving on http://%s:%s (API under /api, schema at /schema/openapi.json)", host, port
    )
    uvicorn.run(
        "oasis_server.api.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        access_log=not args.no_access_log,
        log_level="info",
        # uvicorn's lines in the same format as ours, through the same (redacted) handler
        log_config=log_format.logging_config(level, log_format.chosen_format()),
        # forwarded headers only from OASIS_TRUSTED_PROXIES, the same list the sign-in throttle trusts
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        server_header=False,
    )
    return 0


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Apply migrations to the configured database."""
    from oasis_server.db.engine import make_engine
    from oasis_server.db.migrate import upgrade

    settings = _settings()
    _private_data(settings)
    engine = make_engine(settings.database_url, query_timeout=3600)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print("The database is up to date.")
    return 0


def run_secrets_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every stored secret under the first key of OASIS_SECRET_KEYS."""
    from oasis_server.api.context import ServerContext
    from oasis_server.secrets_rotation import rotate_all

    context = ServerContext.build(_settings())
    try:
        count = rotate_all(context)
    finally:
        context.close()
    print(f"Re-encrypted {count} stored secrets under the newest key.")
    return 0


def run_secrets_generate(args: argparse.Namespace) -> int:
    """Print a new Fernet key."""
    from oasis_server.security.secret_box import generate_key

    print(generate_key())
    return 0
