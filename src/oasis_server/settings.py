"""Server settings, read once from the environment (and a ``.env`` file).

Every variable of the original design is honoured (``DB_HOST`` …,
``JWT_SECRET``, ``JWT_EXPIRES_IN``, ``OPENAI_API_KEY``, ``ELEVENLABS_API_KEY``,
``STORAGE_BUCKET``, ``YOUTUBE_CLIENT_ID``/``SECRET``, ``PORT``, ``NODE_ENV``),
plus ``DATABASE_URL``, ``REDIS_URL``, ``OASIS_DATA_DIR``,
``OASIS_SECRET_KEYS``, ``OASIS_ALLOW_SIGNUP``, ``CORS_ORIGINS``.
docs/configuration.md lists each with its default.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from attrs import field, frozen

from oasis_core.errors import OasisError
from oasis_core.paths import default_data_dir
from oasis_server.data_folder import private_file, private_folder
from oasis_server.security.client_address import Network, parse_networks

MIN_SECRET_LENGTH = 32
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigurationError(OasisError):
    """A setting is missing or unusable; the message names it and says what to do."""


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
ENVIRONMENTS = ("development", "test", "production")


def invalid(name: str, value: str, accepts: str) -> ConfigurationError:
    """The one message for a setting that cannot be used: the variable, its value, what it accepts.

    Every check of a setting raises through here, so an operator reads the
    same kind of sentence whatever they got wrong.
    """
    shown = value if len(value) <= 40 else value[:37] + "..."
    return ConfigurationError(f"{name}={shown!r} is not accepted: {accepts}")


def parse_duration(value: str, name: str = "JWT_EXPIRES_IN") -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"3600"`` (seconds) → a timedelta."""
    match = _DURATION.match(value)
    if not match or int(match.group(1)) <= 0:
        raise invalid(name, value, "a duration above zero such as 7d, 12h, 30m or 3600 (seconds)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in _TRUE | _FALSE:
        raise invalid(name, value, "true or false (also 1/0, yes/no, on/off)")
    return value in _TRUE


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str = "") -> str:
    value = env.get(name, "").strip().lower() or default
    if value and value not in choices:
        raise invalid(name, value, "one of " + ", ".join(choices))
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not (parts.netloc or parts.path):
        raise invalid(name, value, "a URL starting with " + " or ".join(f"{s}://" for s in schemes))
    return value


def _persisted_secret(path: Path, make: str) -> str:
    """Read a generated secret from ``path``, creating it (mode 600) on first use."""
    if path.is_file():
        private_file(path)  # one written by an older version may be readable by others
        return path.read_text(encoding="utf-8").strip()
    private_folder(path.parent)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(make)
    try:
        os.link(temp, path)  # fails if another process created it first: theirs wins
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    if env.get("DATABASE_URL", "").strip():
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url = env["DATABASE_URL"].strip()
        try:
            make_url(url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ConfigurationError(  # the value is not shown: it may hold a password
                "DATABASE_URL is not accepted: a SQLAlchemy URL such as "
                "mysql+pymysql://user:password@host:3306/oasis?charset=utf8mb4 or sqlite:////path/oasis.db"
            ) from None
        return url
    if env.get("DB_HOST"):
        if env.get("DB_PORT"):
            _whole(env, "DB_PORT", 3306, low=1, high=65535)
        user = quote_plus(env.get("DB_USER", "root"))
        password = quote_plus(env.get("DB_PASSWORD", ""))
        port = f":{env['DB_PORT']}" if env.get("DB_PORT") else ""
        name = env.get("DB_NAME", "oasisapps")
        return f"mysql+pymysql://{user}:{password}@{env['DB_HOST']}{port}/{name}?charset=utf8mb4"
    return f"sqlite:///{data_dir / 'oasis.db'}"


def _whole(env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None) -> int:
    """A whole number from ``low`` to ``high``; unset or empty gives ``default``."""
    text = env.get(name, "").strip() or str(default)
    if text.isascii() and text.isdigit() and low <= int(text) <= (high if high is not None else int(text)):
        return int(text)
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise invalid(name, text, f"a whole number {bounds} (default {default})")


def _seconds(
    env: Mapping[str, str], name: str, default: float, *, low: float = 0.05, high: float = 3600
) -> float:
    """A number of seconds from ``low`` to ``high``; unset or empty gives ``default``."""
    text = env.get(name, "").strip() or str(default)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN and infinities fail here too
        raise invalid(name, text, f"a number of seconds from {low:g} to {high:g} (default {default:g})")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    try:
        return parse_networks(env.get(name, ""))
    except ValueError as exc:
        raise invalid(
            name, str(exc), "IP addresses or networks, comma-separated (127.0.0.1, 10.0.0.0/8, ::1)"
        ) from None


def _secret_keys(raw: str) -> tuple[str, ...]:
    from cryptography.fernet import Fernet

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ConfigurationError(
                "OASIS_SECRET_KEYS holds a value that is not a Fernet key: it accepts keys made by "
                "`oasis secrets generate` (44 characters of URL-safe base64), comma-separated, newest first"
            ) from None
    return keys


def _port_choices(text: str) -> dict[str, str]:
    choices: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        port, _, provider = item.partition("=")
        if port.strip() not in {"llm", "speech", "visuals"} or not provider.strip():
            raise ConfigurationError(
                f"OASIS_DEFAULT_PROVIDERS: {item!r} is not accepted: port=provider with a port of llm, speech or visuals "
                "(for example llm=openai,visuals=procedural)"
            )
        choices[port.strip()] = provider.strip()
    return choices


@frozen
class Settings:
    """Everything the server, workers and commands read from the environment."""

    data_dir: Path
    database_url: str = field(repr=False)
    redis_url: str | None = field(repr=False)
    jwt_secret: str = field(repr=False)
    jwt_expires: timedelta
    secret_keys: tuple[str, ...] = field(repr=False)
    production: bool
    allow_signup: bool
    cors_origins: tuple[str, ...]
    host: str
    port: int
    bcrypt_rounds: int
    environ: Mapping[str, str] = field(repr=False)
    """The environment the settings were read from (``.env`` included): providers' keys and settings."""
    storage_bucket: str | None
    video_lease_seconds: int
    video_max_attempts: int
    login_max_failures: int
    login_window_seconds: int
    post_lease_seconds: int = 300
    post_max_attempts: int = 5
    scheduler_interval: float = 1.0
    public_url: str | None = None
    default_providers: Mapping[str, str] = field(factory=dict)
    """``OASIS_DEFAULT_PROVIDERS`` (``llm=openai,visuals=procedural``): the server's default per port."""
    post_backoff_seconds: float = 30.0
    """The first wait before a post that failed transiently is tried again (doubling, at most an hour)."""
    max_video_seconds: int = 180
    """``OASIS_MAX_VIDEO_SECONDS``: the longest video (speech included) a render may produce."""
    max_queued_renders: int = 5
    """``OASIS_MAX_QUEUED_RENDERS``: a user's videos queued or rendering at once (admins may change it per user)."""
    max_concurrent_renders: int = 2
    """``OASIS_MAX_CONCURRENT_RENDERS``: a user's videos rendering at the same moment."""
    min_automation_interval: int = 3600
    """``OASIS_MIN_AUTOMATION_INTERVAL``: the least time, in seconds, between two runs of one automation."""
    trusted_proxies: tuple[Network, ...] = ()
    """``OASIS_TRUSTED_PROXIES``: the only peers whose ``Forwarded``/``X-Forwarded-For`` headers are believed."""
    login_address_max_failures: int = 100
    """``OASIS_LOGIN_ADDRESS_MAX_FAILURES``: failed sign-ins from one address (all accounts) before it waits."""
    login_account_max_failures: int = 100
    """``OASIS_LOGIN_ACCOUNT_MAX_FAILURES``: failures on one account (all addresses) before each address gets one try."""
    login_max_wait_seconds: int = 300
    """``OASIS_LOGIN_MAX_WAIT_SECONDS``: the longest wait a sign-in throttle imposes."""

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Settings:
        """Read the settings; in development, generate and keep secrets in the data folder.

        A ``.env`` file in the working folder (or ``dotenv``) fills variables
        the environment does not set. In production (``OASIS_ENV`` or
        ``NODE_ENV`` = ``production``) a missing or short ``JWT_SECRET`` or a
        missing ``OASIS_SECRET_KEYS`` stops start-up with a clear message.
        """
        env = dict(os.environ if environ is None else environ)
        dotenv_path = dotenv or Path.cwd() / ".env"
        if dotenv_path.is_file():
            from dotenv import dotenv_values

            for key, value in dotenv_values(dotenv_path).items():
                if value is not None:
                    env.setdefault(key, value)
        production = "production" in {
            _choice(env, "OASIS_ENV", ENVIRONMENTS),
            env.get("NODE_ENV", "")
            .strip()
            .lower(),  # the original design's switch: any other value is ignored
        }
        data_dir = default_data_dir(env)
        if data_dir.exists() and not data_dir.is_dir():
            raise invalid("OASIS_DATA_DIR", str(data_dir), "a folder (this names a file)")

        jwt_secret = env.get("JWT_SECRET", "")
        if production and len(jwt_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"JWT_SECRET must be set to a random string of at least {MIN_SECRET_LENGTH} characters in "
                "production (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if not jwt_secret:
            jwt_secret = _persisted_secret(data_dir / "jwt-secret", secrets.token_urlsafe(48))
        elif len(jwt_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"JWT_SECRET is too short: use at least {MIN_SECRET_LENGTH} characters")

        raw_keys = env.get("OASIS_SECRET_KEYS", "")
        if production and not raw_keys:
            raise ConfigurationError(
                "OASIS_SECRET_KEYS must be set in production: one or more Fernet keys, newest first, comma-separated "
                "(make one with: oasis secrets generate)"
            )
        if not raw_keys:
            from cryptography.fernet import Fernet

            raw_keys = _persisted_secret(data_dir / "secret-keys", Fernet.generate_key().decode())
        keys = _secret_keys(raw_keys)

        rounds = _whole(env, "OASIS_BCRYPT_ROUNDS", 12, low=4, high=20)
        if production and rounds < 12:
            raise invalid("OASIS_BCRYPT_ROUNDS", str(rounds), "a whole number from 12 to 20 in production")
        public_url = _url(env, "OASIS_PUBLIC_URL", ("http", "https"))
        cors = tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())
        for origin in (o for o in cors if o != "*"):
            _url({"CORS_ORIGINS": origin}, "CORS_ORIGINS", ("http", "https"))
        return cls(
            data_dir=data_dir,
            database_url=_database_url(env, data_dir),
            redis_url=_url(env, "REDIS_URL", ("redis", "rediss", "unix")),
            jwt_secret=jwt_secret,
            jwt_expires=parse_duration(env.get("JWT_EXPIRES_IN", "").strip() or "7d"),
            secret_keys=keys,
            production=production,
            allow_signup=_flag(env, "OASIS_ALLOW_SIGNUP", True),
            cors_origins=cors,
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=_whole(env, "PORT", 3000, low=1, high=65535),
            bcrypt_rounds=rounds,
            environ=env,
            storage_bucket=env.get("STORAGE_BUCKET") or None,
            video_lease_seconds=_whole(env, "OASIS_VIDEO_LEASE_SECONDS", 120, low=5),
            video_max_attempts=_whole(env, "OASIS_VIDEO_MAX_ATTEMPTS", 3, low=1),
            login_max_failures=_whole(env, "OASIS_LOGIN_MAX_FAILURES", 10, low=1),
            login_window_seconds=_whole(env, "OASIS_LOGIN_WINDOW_SECONDS", 900, low=1),
            login_address_max_failures=_whole(env, "OASIS_LOGIN_ADDRESS_MAX_FAILURES", 100, low=1),
            login_account_max_failures=_whole(env, "OASIS_LOGIN_ACCOUNT_MAX_FAILURES", 100, low=1),
            login_max_wait_seconds=_whole(env, "OASIS_LOGIN_MAX_WAIT_SECONDS", 300, low=1),
            trusted_proxies=_networks(env, "OASIS_TRUSTED_PROXIES"),
            post_lease_seconds=_whole(env, "OASIS_POST_LEASE_SECONDS", 300, low=5),
            post_max_attempts=_whole(env, "OASIS_POST_MAX_ATTEMPTS", 5, low=1),
            scheduler_interval=_seconds(env, "OASIS_SCHEDULER_INTERVAL", 1.0),
            public_url=public_url.rstrip("/") if public_url else None,
            default_providers=_port_choices(env.get("OASIS_DEFAULT_PROVIDERS", "")),
            post_backoff_seconds=_seconds(env, "OASIS_POST_BACKOFF_SECONDS", 30.0),
            max_video_seconds=_whole(env, "OASIS_MAX_VIDEO_SECONDS", 180, low=5),
            max_queued_renders=_whole(env, "OASIS_MAX_QUEUED_RENDERS", 5, low=1),
            max_concurrent_renders=_whole(env, "OASIS_MAX_CONCURRENT_RENDERS", 2, low=1),
            min_automation_interval=_whole(env, "OASIS_MIN_AUTOMATION_INTERVAL", 3600, low=0),
        )
