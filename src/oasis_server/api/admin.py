"""``/api/admin/users``: admins list, create, change and delete accounts.

Every route takes the ``admin`` dependency (:func:`provide_admin`), so a
signed-in user who is not an admin gets ``403`` before anything is read. There
is always at least one active admin: deleting or demoting the last one is a
``409``.

Each user is shown with ``limits``: what they may cost (renders queued and
running at once, the least time between two runs of an automation), the
server's defaults unless an admin chose otherwise for them. Reactivating a
user resumes what is still due: their parked renders, due posts and
automation runs.
"""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, Parameter
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oasis_server.accounts import (
    AccountError,
    clean_name,
    create_user,
    delete_stored_files,
    ensure_an_admin_remains,
    is_active_admin,
    normalise_email,
    revoke_all,
    stored_files,
)
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_admin, provide_user
from oasis_server.api.errors import ApiError, not_found
from oasis_server.api.schemas import (
    STRICT_BODY,
    Email,
    Name,
    Password,
    UserOut,
    UserRole,
    UserStatus,
    error_responses,
    page_bounds,
)
from oasis_server.db.models import User
from oasis_server.db.types import utcnow
from oasis_server.jobs.leases import unpark_user
from oasis_server.jobs.limits import LIMIT_NAMES, limits_of
from oasis_server.settings import Settings

log = logging.getLogger(__name__)

Role = UserRole
Status = UserStatus
Avatar = Annotated[str, msgspec.Meta(max_length=255, description="An image URL")]


class CreateUserIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new account made by an admin (``role`` defaults to user, ``status`` to active)."""

    name: Name
    email: Email
    password: Password
    role: Role | None = None
    status: Status | None = None


QueuedRenders = Annotated[int, msgspec.Meta(ge=1, le=1000)]
ConcurrentRenders = Annotated[int, msgspec.Meta(ge=1, le=100)]
Interval = Annotated[int, msgspec.Meta(ge=0, le=31 * 86400)]


class LimitsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Limits to change for one user; ``null`` gives the server's default back, absent ones stay."""

    queued_renders: QueuedRenders | msgspec.UnsetType | None = msgspec.UNSET
    concurrent_renders: ConcurrentRenders | msgspec.UnsetType | None = msgspec.UNSET
    automation_interval: Interval | msgspec.UnsetType | None = msgspec.UNSET


class LimitsOut(msgspec.Struct):
    """What a user may cost: videos queued or rendering, videos rendering at once, and the least time
    (seconds) between two runs of one automation; ``custom`` names the ones an admin chose."""

    queued_renders: int
    concurrent_renders: int
    automation_interval: int
    custom: list[str]


class AdminUserOut(UserOut):
    """A user as admins see it: with their limits."""

    limits: LimitsOut | None = None


def admin_view(user: User, settings: Settings) -> AdminUserOut:
    """The admin API's view of a user row."""
    chosen = limits_of(settings, user.limits)
    custom = sorted(name for name in (user.limits or {}) if name in LIMIT_NAMES)
    base = UserOut.of(user)
    values = {name: getattr(base, name) for name in UserOut.__struct_fields__}
    limits = LimitsOut(chosen.queued_renders, chosen.concurrent_renders, chosen.automation_interval, custom)
    return AdminUserOut(**values, limits=limits)


def _new_limits(current: dict[str, object] | None, change: LimitsIn) -> dict[str, object] | None:
    """``current`` overrides with ``change`` applied (``null`` removes one); ``None`` when none is left."""
    limits = dict(current or {})
    for name in LIMIT_NAMES:
        value = getattr(change, name)
        if value is None:
            limits.pop(name, None)
        elif not isinstance(value, msgspec.UnsetType):
            limits[name] = value
    return limits or None


class UpdateUserIn(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; absent fields stay as they are, ``avatar: null`` removes the avatar."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    status: Status | msgspec.UnsetType = msgspec.UNSET
    avatar: Avatar | msgspec.UnsetType | None = msgspec.UNSET
    limits: LimitsIn | msgspec.UnsetType = msgspec.UNSET


class UsersOut(msgspec.Struct):
    """A page of users, newest first."""

    items: list[AdminUserOut]
    total: int
    limit: int
    offset: int


def _get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("No such user")
    return user


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _apply(session: Session, context: ServerContext, user: User, data: UpdateUserIn) -> bool:
    """Apply the changes to ``user``; return whether its sessions must end."""
    end_sessions = False
    if not isinstance(data.name, msgspec.UnsetType):
        user.name = clean_name(data.name)
    if not isinstance(data.email, msgspec.UnsetType):
        email = normalise_email(data.email)
        taken = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
        if taken is not None:
            raise AccountError(409, "An account with this email already exists")
        user.email = email
    if not isinstance(data.password, msgspec.UnsetType):
        user.password_hash = context.hasher.hash(data.password)
        end_sessions = True
    if not isinstance(data.role, msgspec.UnsetType):
        user.role = data.role
    if not isinstance(data.status, msgspec.UnsetType):
        end_sessions = end_sessions or data.status != "active"
        user.status = data.status
    if not isinstance(data.avatar, msgspec.UnsetType):
        user.avatar = (data.avatar or "").strip() or None
    if not isinstance(data.limits, msgspec.UnsetType):
        user.limits = _new_limits(user.limits, data.limits)
    return end_sessions


class AdminUsersController(Controller):
    """Account management for admins."""

    path = "/api/admin/users"
    tags = ["admin"]
    dependencies = {
        "user": Provide(provide_user),
        "admin": Provide(provide_admin, sync_to_thread=False),
    }

    @get("/", operation_id="adminListUsers", sync_to_thread=True, responses=error_responses(400, 401, 403))
    def list_users(
        self,
        admin: SignedIn,
        state: State,
        role: FromQuery[Role | None] = None,
        status: FromQuery[Status | None] = None,
        q: Annotated[
            str | None, Parameter(max_length=255, description="Part of the name or email, any case")
        ] = None,
        limit: Annotated[int | None, Parameter(ge=1, le=100, description="Page size, 1 to 100 (20)")] = None,
        offset: Annotated[int | None, Parameter(ge=0, le=10_000_000, description="Items to skip")] = None,
    ) -> UsersOut:
        """Users, newest first, filtered by role, status and a search in name and email."""
        context: ServerContext = state.ctx
        limit, offset = page_bounds(limit, offset)
        conditions = []
        if role:
            conditions.append(User.role == role)
        if status:
            conditions.append(User.status == status)
        if q and q.strip():
            pattern = f"%{_escape_like(q.strip().lower())}%"
            conditions.append(
                or_(
                    func.lower(User.name).like(pattern, escape="\\"),
                    func.lower(User.email).like(pattern, escape="\\"),
                )
            )
        with context.sessions() as session:
            total = session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
            rows = session.scalars(
                select(User)
                .where(*conditions)
                .order_by(User.created_at.desc(), User.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return UsersOut([admin_view(row, context.settings) for row in rows], int(total), limit, offset)

    @post(
        "/",
        operation_id="adminCreateUser",
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 409),
    )
    def add_user(
        self, data: Annotated[CreateUserIn, STRICT_BODY], admin: SignedIn, state: State
    ) -> AdminUserOut:
        """Create an account with a role and status of the admin's choosing."""
        context: ServerContext = state.ctx
        try:
            with context.session() as session:
                user = create_user(
                    session,
                    context.hasher,
                    name=data.name,
                    email=data.email,
                    password=data.password,
                    role=data.role or "user",
                    status=data.status or "active",
                )
                session.refresh(user)  # the times as stored (MySQL keeps whole seconds)
        except AccountError as exc:
            raise ApiError(exc.status, exc.message) from exc
        log.info("Admin %s created user %s (%s, %s)", admin.id, user.id, user.role, user.status)
        return admin_view(user, context.settings)

    @put(
        "/{user_id:str}",
        operation_id="adminUpdateUser",
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 404, 409),
    )
    def update_user(
        self,
        user_id: FromPath[str],
        data: Annotated[UpdateUserIn, STRICT_BODY],
        admin: SignedIn,
        state: State,
    ) -> AdminUserOut:
        """Change any of name, email, password, role, status, avatar and limits.

        A new password, or a status other than active, ends the user's sessions. Making an
        inactive user active again resumes their parked renders (posts and automation runs that
        are due follow by themselves).
        """
        context: ServerContext = state.ctx
        try:
            with context.session() as session:
                user = _get_user(session, user_id)
                was_active_admin = is_active_admin(user)
                was_active = user.status == "active"
                end_sessions = _apply(session, context, user, data)
                session.flush()
                if was_active_admin and not is_active_admin(user):
                    ensure_an_admin_remains(session)
                if end_sessions:
                    revoke_all(session, user.id)
                if user.status == "active" and not was_active:
                    unpark_user(session, user.id, utcnow())
        except AccountError as exc:
            raise ApiError(exc.status, exc.message) from exc
        except IntegrityError as exc:  # the email was taken by a concurrent change
            raise ApiError(409, "An account with this email already exists") from exc
        log.info("Admin %s updated user %s (sessions ended: %s)", admin.id, user.id, end_sessions)
        return admin_view(user, context.settings)

    @delete(
        "/{user_id:str}",
        operation_id="adminDeleteUser",
        sync_to_thread=True,
        responses=error_responses(401, 403, 404, 409),
    )
    def delete_user(self, user_id: FromPath[str], admin: SignedIn, state: State) -> None:
        """Delete an account with its sessions, keys, videos, connections and posts, and its video files."""
        context: ServerContext = state.ctx
        try:
            with context.session() as session:
                user = _get_user(session, user_id)
                was_active_admin = is_active_admin(user)
                files = stored_files(session, user.id)
                # the database cascades to the user's rows (foreign keys ON DELETE CASCADE)
                session.execute(sql_delete(User).where(User.id == user.id))
                if was_active_admin:
                    ensure_an_admin_remains(session)
        except AccountError as exc:
            raise ApiError(exc.status, exc.message) from exc
        delete_stored_files(context.blob_store, files)
        log.info("Admin %s deleted user %s and %d stored files", admin.id, user_id, len(files))


ROUTES = [AdminUsersController]
