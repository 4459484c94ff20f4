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
from urllib.parse import quote_plus

from attrs import field, frozen

from oasis_core.errors import OasisError
from oasis_core.paths import default_data_dir

MIN_SECRET_LENGTH = 32
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigurationError(OasisError):
    """A setting is missing or unusable; the message names it and says what to do."""


def parse_duration(value: str) -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"3600"`` (seconds) → a timedelta."""
    match = _DURATION.match(value)
    if not match or int(match.group(1)) <= 0:
        raise ConfigurationError(f"JWT_EXPIRES_IN={value!r} is not a duration such as 7d, 12h, 30m or 3600")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _persisted_secret(path: Path, make: str) -> str:
    """Read a generated secret from ``path``, creating it (mode 600) on first use."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
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
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    if env.get("DB_HOST"):
        user = quote_plus(env.get("DB_USER", "root"))
        password = quote_plus(env.get("DB_PASSWORD", ""))
        port = f":{env['DB_PORT']}" if env.get("DB_PORT") else ""
        name = env.get("DB_NAME", "oasisapps")
        return f"mysql+pymysql://{user}:{password}@{env['DB_HOST']}{port}/{name}?charset=utf8mb4"
    return f"sqlite:///{data_dir / 'oasis.db'}"


def _whole(env: Mapping[str, str], name: str, default: int, *, low: int) -> int:
    text = env.get(name, str(default))
    if not text.isdigit() or int(text) < low:
        raise ConfigurationError(f"{name} must be a whole number of at least {low} (default {default})")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.05 <= value <= 3600:
        raise ConfigurationError(f"{name} must be a number of seconds from 0.05 to 3600 (default {default})")
    return value


def _port_choices(text: str) -> dict[str, str]:
    choices: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        port, _, provider = item.partition("=")
        if port.strip() not in {"llm", "speech", "visuals"} or not provider.strip():
            raise ConfigurationError(
                f"OASIS_DEFAULT_PROVIDERS: {item!r} is not port=provider with a port of llm, speech or visuals "
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
        production = "production" in {env.get("OASIS_ENV", "").lower(), env.get("NODE_ENV", "").lower()}
        data_dir = default_data_dir(env)

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
        keys = tuple(k.strip() for k in raw_keys.split(",") if k.strip())

        rounds_text = env.get("OASIS_BCRYPT_ROUNDS", "12")
        if not rounds_text.isdigit() or not 4 <= int(rounds_text) <= 20:
            raise ConfigurationError("OASIS_BCRYPT_ROUNDS must be a whole number from 4 to 20 (default 12)")
        if production and int(rounds_text) < 12:
            raise ConfigurationError("OASIS_BCRYPT_ROUNDS must be at least 12 in production")
        port_text = env.get("PORT", "3000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigurationError(f"PORT={port_text!r} is not a port number")
        return cls(
            data_dir=data_dir,
            database_url=_database_url(env, data_dir),
            redis_url=env.get("REDIS_URL") or None,
            jwt_secret=jwt_secret,
            jwt_expires=parse_duration(env.get("JWT_EXPIRES_IN", "7d")),
            secret_keys=keys,
            production=production,
            allow_signup=_flag(env.get("OASIS_ALLOW_SIGNUP"), True),
            cors_origins=tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()),
            host=env.get("HOST", "127.0.0.1"),
            port=int(port_text),
            bcrypt_rounds=int(rounds_text),
            environ=env,
            storage_bucket=env.get("STORAGE_BUCKET") or None,
            video_lease_seconds=int(env.get("OASIS_VIDEO_LEASE_SECONDS", "120")),
            video_max_attempts=int(env.get("OASIS_VIDEO_MAX_ATTEMPTS", "3")),
            login_max_failures=int(env.get("OASIS_LOGIN_MAX_FAILURES", "10")),
            login_window_seconds=int(env.get("OASIS_LOGIN_WINDOW_SECONDS", "900")),
            post_lease_seconds=_whole(env, "OASIS_POST_LEASE_SECONDS", 300, low=5),
            post_max_attempts=_whole(env, "OASIS_POST_MAX_ATTEMPTS", 5, low=1),
            scheduler_interval=_seconds(env, "OASIS_SCHEDULER_INTERVAL", 1.0),
            public_url=(env.get("OASIS_PUBLIC_URL") or "").rstrip("/") or None,
            default_providers=_port_choices(env.get("OASIS_DEFAULT_PROVIDERS", "")),
            post_backoff_seconds=_seconds(env, "OASIS_POST_BACKOFF_SECONDS", 30.0),
        )
