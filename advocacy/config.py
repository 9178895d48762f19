"""Configuration from ``ADVOCACY_*`` environment variables.

Every setting has a default that gives the embedded setup (SQLite, local
uploads, in-memory rate limits), so the hub runs with no configuration at all.
The README's configuration table lists the same settings; keep them in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "ADVOCACY_"


def _bool(value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _token_days(value: str) -> int:
    days = int(value)
    if not 0 <= days <= 366:
        raise ValueError(f"not between 0 and 366 days: {days}")
    return days


def _token_keys(value: str) -> tuple[str, ...]:
    """Fernet keys, newest first; a bad entry is named by its position, never by its value."""
    from advocacy.keyring import parse_keys  # cryptography is loaded only when keys are set

    return parse_keys(value)


@dataclass(frozen=True)
class Setting:
    """One configuration key: its Flask config name, parser, default and meaning."""

    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", str, None,
            "Signs sessions and CSRF tokens. Unset: a random key is kept in the instance folder."),
    Setting("TOKEN_KEYS", _token_keys, None,
            "Keys that encrypt connected accounts' tokens and app secrets in the database: "
            "comma-separated Fernet keys (`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`); the first encrypts, all decrypt. "
            "Unset: a key is kept in the instance folder. After putting a new key first, run "
            "`advocacy tokens rotate`, then remove the old one."),
    Setting("ALLOW_PRIVATE_HOSTS", _bool, False,
            "UNSAFE, for tests and staging only: let calls to servers people name (a Mastodon "
            "server, a Bluesky PDS) use http, ports, IP addresses and private or loopback "
            "addresses."),
    Setting("DATABASE_URL", str, None,
            "SQLAlchemy URL. Unset: SQLite (WAL mode) at instance/advocacy.db."),
    Setting("DATABASE_TIMEOUT", float, 5.0,
            "Seconds a request waits for a database connection (a free one in the pool, or a "
            "new one to PostgreSQL) before it answers 503."),
    Setting("STORAGE", str, "local", "Media storage backend: `local` or `s3`."),
    Setting("UPLOADS_DIR", str, None, "Root of the `local` storage. Unset: ./uploads."),
    Setting("S3_BUCKET", str, "advocacy-media", "Bucket for the `s3` storage."),
    Setting("S3_ENDPOINT_URL", str, None,
            "Endpoint of an S3-compatible server (SeaweedFS, MinIO, Garage). Unset: AWS."),
    Setting("S3_REGION", str, "us-east-1", "Region of the bucket."),
    Setting("S3_ACCESS_KEY_ID", str, None, "Access key; unset: boto3's own credential chain."),
    Setting("S3_SECRET_ACCESS_KEY", str, None, "Secret key; never logged."),
    Setting("S3_PRESIGN_SECONDS", int, 300, "Lifetime of presigned media URLs, in seconds."),
    Setting("S3_TIMEOUT", float, 3.0,
            "Seconds an S3 call waits to connect and for each answer (two attempts), so a hung "
            "bucket fails one request fast instead of holding a web worker."),
    Setting("MAX_PHOTO_BYTES", int, 25 * 1024 * 1024, "Largest accepted photo file, in bytes."),
    Setting("MAX_PHOTOS", int, 10, "Most photos on one story."),
    Setting("MAX_PIXELS", int, 40_000_000,
            "Largest accepted photo in pixels (width x height); guards decompression bombs."),
    Setting("MAX_VIDEO_SECONDS", int, 180, "Longest accepted video, in seconds."),
    Setting("MAX_VIDEO_BYTES", int, 1024 * 1024 * 1024,
            "Largest accepted video upload, in bytes (refused at creation when declared "
            "larger)."),
    Setting("MAX_VIDEOS", int, 3, "Most videos on one story."),
    Setting("UPLOAD_EXPIRY_HOURS", int, 24,
            "Hours an unfinished video upload can be resumed; then its bytes are removed."),
    Setting("RATELIMIT_STORAGE_URL", str, None,
            "Where rate-limit counters live: unset for the hub's database (shared by every "
            "web process), `redis://host:port/db` when scaled out, or `memory://` (per "
            "process)."),
    Setting("QUEUE_URL", str, None,
            "Task queue storage: unset for SQLite at instance/queue.sqlite3, "
            "`sqlite:///path`, or `redis://host:port/db` when scaled out."),
    Setting("CLICK_JOURNAL_MAX_CLICKS", int, 1_000_000,
            "Most clicks waiting for a worker in the click journal (about 300 bytes each); "
            "past it, new clicks are dropped, counted and logged."),
    Setting("CLICK_CLAIM_SECONDS", float, 30.0,
            "Seconds after which a batch of clicks a worker claimed but did not store (it "
            "crashed) is taken over by another worker."),
    Setting("LOGIN_RATE_LIMIT", str, "10 per minute;50 per hour",
            "Sign-in attempts allowed per client address and account (form and token API)."),
    Setting("LOGIN_ADDRESS_RATE_LIMIT", str, "30 per minute;300 per hour",
            "Sign-in attempts allowed per client address over all accounts."),
    Setting("TOKEN_EXPIRY_DAYS", _token_days, 90,
            "Days after which a new API token stops working unless its creator chose "
            "otherwise; 0: tokens do not expire unless chosen."),
    Setting("COMMENT_RATE_LIMIT", str, "20 per minute;300 per day",
            "Messages one account may write in story threads."),
    Setting("CHECK_RATE_LIMIT", str, "60 per minute;2000 per day",
            "Guideline checks one account may run (live pre-flight, try a text, check API)."),
    Setting("DEFAULT_LOCALE", str, "en",
            "Language for visitors who have not chosen one: en or nl."),
    Setting("TIMEZONE", str, "Europe/Amsterdam",
            "Time zone in which pages show times and curators enter embargo and expiry."),
    Setting("SESSION_COOKIE_SECURE", _bool, False,
            "Send the session cookie over HTTPS only; set to true behind TLS."),
    Setting("PROXY_COUNT", int, 0,
            "Number of trusted reverse proxies in front of the hub (X-Forwarded-* headers)."),
    Setting("STORIES_PER_PAGE", int, 20, "Stories per page on My stories and in the API."),
    Setting("PUBLIC_URL", str, None,
            "The hub's public address (`https://hub.example.org`) for tracked links and public "
            "story pages in posts. Unset: the address of the request."),
    Setting("FEED_PER_PAGE", int, 20, "Stories per page in the ambassador feed."),
    Setting("LOG_LEVEL", str, "INFO", "Python log level."),
)


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every known ``ADVOCACY_*`` variable into a Flask config mapping."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name)
        if raw is None:
            config[setting.name] = setting.default
            continue
        try:
            config[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SystemExit(f"{PREFIX}{setting.name}: {exc}") from exc
    return config
