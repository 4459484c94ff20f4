"""``oasis serve``, ``oasis db upgrade``, ``oasis users create`` and ``oasis secrets``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
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

    users = commands.add_parser("users", help="manage users")
    users_commands = users.add_subparsers(dest="users_command", metavar="COMMAND")
    create = users_commands.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="the password (default: asked, or OASIS_PASSWORD)")
    create.add_argument("--admin", action="store_true", help="make the user an admin")
    create.set_defaults(handler=run_users_create)

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

    engine = make_engine(settings.database_url, query_timeout=3600)
    try:
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            upgrade(engine)
        elif not is_current(engine):
            raise OasisError("The database schema is out of date: run `oasis db upgrade` first")
    finally:
        engine.dispose()


def run_serve(args: argparse.Namespace) -> int:
    """Start uvicorn with the Oasis app."""
    import uvicorn

    settings = _settings()
    prepare_database(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    print(
        f"Oasis is serving on http://{host}:{port} (API under /api, schema at /schema/openapi.json)",
        file=sys.stderr,
    )
    uvicorn.run(
        "oasis_server.api.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=max(1, args.workers),
        access_log=not args.no_access_log,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )
    return 0


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Apply migrations to the configured database."""
    from oasis_server.db.engine import make_engine
    from oasis_server.db.migrate import upgrade

    settings = _settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, query_timeout=3600)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print("The database is up to date.")
    return 0


def run_users_create(args: argparse.Namespace) -> int:
    """Create a user from the command line."""
    from oasis_server.accounts import AccountError, create_user
    from oasis_server.api.context import ServerContext

    password = args.password or os.environ.get("OASIS_PASSWORD") or getpass.getpass("Password: ")
    settings = _settings()
    prepare_database(settings)
    context = ServerContext.build(settings)
    try:
        with context.session() as session:
            user = create_user(
                session,
                context.hasher,
                name=args.name,
                email=args.email,
                password=password,
                role="admin" if args.admin else "user",
            )
            print(f"Created {user.role} {user.email} ({user.id})")
    except AccountError as exc:
        raise OasisError(exc.message) from exc
    finally:
        context.close()
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
