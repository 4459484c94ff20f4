"""``oasis users list|create|set-role|set-status|reset-password|delete``: accounts from a shell.

The same rules as the admin API: there is always an active admin left, a new
password or a status other than active ends the user's sessions, and deleting
a user deletes their videos' files too. A user is named by id or email.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from oasis_server.cli.output import add_json_option, as_row, print_columns, print_json

ROLES = ("user", "admin")
STATUSES = ("active", "inactive", "pending")
LIST_COLUMNS = ("id", "email", "name", "role", "status", "created_at", "last_login")


def register(commands: Any) -> None:
    """Add ``users`` and its sub-commands."""
    users = commands.add_parser("users", help="list, create, change and delete user accounts")
    actions = users.add_subparsers(dest="users_command", metavar="COMMAND")

    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--role", choices=ROLES, help="only users with this role")
    listing.add_argument("--status", choices=STATUSES, help="only users with this status")
    add_json_option(listing)
    listing.set_defaults(handler=run_list)

    create = actions.add_parser("create", help="create an account (the first one becomes the admin)")
    create.add_argument("--email", required=True, help="the email address they sign in with")
    create.add_argument("--name", required=True, help="the name shown in the dashboard")
    create.add_argument("--password", help="the password (default: OASIS_PASSWORD, else asked)")
    create.add_argument("--admin", action="store_true", help="make the user an admin")
    add_json_option(create)
    create.set_defaults(handler=run_create)

    set_role = actions.add_parser("set-role", help="make a user an admin, or an admin a user")
    set_role.add_argument("user", help="the user's id or email")
    set_role.add_argument("role", choices=ROLES, help="the new role")
    add_json_option(set_role)
    set_role.set_defaults(handler=run_set_role)

    set_status = actions.add_parser(
        "set-status", help="activate or deactivate a user (deactivating ends their sessions)"
    )
    set_status.add_argument("user", help="the user's id or email")
    set_status.add_argument("status", choices=STATUSES, help="the new status")
    add_json_option(set_status)
    set_status.set_defaults(handler=run_set_status)

    reset = actions.add_parser("reset-password", help="set a new password and end the user's sessions")
    reset.add_argument("user", help="the user's id or email")
    reset.add_argument("--password", help="the new password (default: OASIS_PASSWORD, else asked)")
    reset.set_defaults(handler=run_reset_password)

    remove = actions.add_parser("delete", help="delete a user with their videos, keys, posts and files")
    remove.add_argument("user", help="the user's id or email")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=run_delete)


def user_data(user: Any) -> dict[str, Any]:
    """A user as ``--json`` prints it (never the password hash)."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "status": user.status,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "last_login": user.last_login.isoformat() if user.last_login else None,
    }


def _show(args: argparse.Namespace, user: dict[str, Any], message: str) -> None:
    if getattr(args, "json", False):
        print_json(user)
    else:
        print(message)


def _password(given: str | None) -> str:
    return given or os.environ.get("OASIS_PASSWORD") or getpass.getpass("Password: ")


@contextmanager
def _accounts() -> Iterator[Any]:
    """A server context on the configured database (migrated first when it is the embedded SQLite)."""
    from oasis_server.api.context import ServerContext
    from oasis_server.cli.server_commands import prepare_database
    from oasis_server.settings import Settings

    settings = Settings.from_env()
    prepare_database(settings)
    context = ServerContext.build(settings)
    try:
        yield context
    finally:
        context.close()


def _change(who: str, change: Callable[[Any, Any, Any], None]) -> dict[str, Any]:
    """Apply ``change(context, session, user)`` to the user ``who`` in one transaction; return the user.

    A broken account rule (the last admin) rolls the change back and becomes a one-line error.
    """
    from oasis_core.errors import OasisError
    from oasis_server.accounts import AccountError, find_user

    with _accounts() as context:
        try:
            with context.session() as session:
                user = find_user(session, who)
                change(context, session, user)
                session.flush()
                return user_data(user)
        except AccountError as exc:
            raise OasisError(exc.message) from exc


def run_list(args: argparse.Namespace) -> int:
    """Print the accounts, oldest first."""
    from sqlalchemy import select

    from oasis_server.db.models import User

    with _accounts() as context, context.session() as session:
        query = select(User).order_by(User.created_at, User.email)
        if args.role:
            query = query.where(User.role == args.role)
        if args.status:
            query = query.where(User.status == args.status)
        users = [user_data(user) for user in session.scalars(query)]
    if args.json:
        print_json(users)
    else:
        print_columns([as_row(user, LIST_COLUMNS) for user in users], LIST_COLUMNS)
    return 0


def run_create(args: argparse.Namespace) -> int:
    """Create an account."""
    from oasis_core.errors import OasisError
    from oasis_server.accounts import AccountError, create_user

    password = _password(args.password)
    with _accounts() as context:
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
                created = user_data(user)
        except AccountError as exc:
            raise OasisError(exc.message) from exc
    _show(args, created, f"Created {created['role']} {created['email']} ({created['id']})")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    """Change a user's role, keeping an active admin."""
    from oasis_server.accounts import ensure_an_admin_remains, is_active_admin

    def change(context: Any, session: Any, user: Any) -> None:
        was_active_admin = is_active_admin(user)
        user.role = args.role
        session.flush()
        if was_active_admin and not is_active_admin(user):
            ensure_an_admin_remains(session)

    user = _change(args.user, change)
    _show(args, user, f"{user['email']} is now {user['role']}")
    return 0


def run_set_status(args: argparse.Namespace) -> int:
    """Change a user's status, keeping an active admin; a status other than active ends their sessions."""
    from oasis_server.accounts import ensure_an_admin_remains, is_active_admin, revoke_all
    from oasis_server.db.types import utcnow
    from oasis_server.jobs.leases import unpark_user

    def change(context: Any, session: Any, user: Any) -> None:
        was_active_admin, was_active = is_active_admin(user), user.status == "active"
        user.status = args.status
        session.flush()
        if was_active_admin and not is_active_admin(user):
            ensure_an_admin_remains(session)
        if args.status != "active":
            revoke_all(session, user.id)
        elif not was_active:
            unpark_user(session, user.id, utcnow())  # their parked renders resume

    user = _change(args.user, change)
    _show(args, user, f"{user['email']} is now {user['status']}")
    return 0


def run_reset_password(args: argparse.Namespace) -> int:
    """Set a new password and end every session of the user."""
    from oasis_server.accounts import revoke_all
    from oasis_server.security.passwords import check_password_policy

    password = _password(args.password)
    check_password_policy(password)  # before anything is looked up or hashed

    def change(context: Any, session: Any, user: Any) -> None:
        user.password_hash = context.hasher.hash(password)
        revoke_all(session, user.id)

    user = _change(args.user, change)
    print(f"Set a new password for {user['email']}; their sessions have ended")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Delete a user with everything they own, after confirming on a terminal (or with ``--yes``)."""
    from sqlalchemy import delete

    from oasis_core.errors import OasisError
    from oasis_server.accounts import (
        AccountError,
        delete_stored_files,
        ensure_an_admin_remains,
        find_user,
        is_active_admin,
        stored_files,
    )
    from oasis_server.db.models import User

    if not args.yes:
        if not sys.stdin.isatty():
            raise OasisError(f"Deleting {args.user} cannot be undone: add --yes to confirm")
        answer = input(f"Delete {args.user} with all their videos, keys and posts? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was deleted.")
            return 1
    with _accounts() as context:
        try:
            with context.session() as session:
                user = find_user(session, args.user)
                email, was_active_admin = user.email, is_active_admin(user)
                files = stored_files(session, user.id)
                session.execute(delete(User).where(User.id == user.id))  # the database cascades the rest
                if was_active_admin:
                    ensure_an_admin_remains(session)
        except AccountError as exc:
            raise OasisError(exc.message) from exc
        failed = delete_stored_files(context.blob_store, files)
    print(f"Deleted {email} and {len(files) - failed} stored files")
    return 0
