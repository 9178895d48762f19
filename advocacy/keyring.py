"""Secrets at rest: connected accounts' tokens and app secrets, encrypted in the database.

Fernet (AES-128-CBC with HMAC-SHA256) under MultiFernet: the keys come from
``ADVOCACY_TOKEN_KEYS`` (comma-separated, newest first: the first encrypts, every one
decrypts) or, when unset, from a key created once in the instance folder, the way the
secret key is. Models declare such columns as :class:`EncryptedText`; what they hold in
Python is a :class:`Secret`, which prints as ``***`` and refuses to be pickled (onto the
queue, say), so a token reaches neither the database, a log line nor the queue in clear.

Changing keys: put the new key first, run ``advocacy tokens rotate`` (every
``EncryptedText`` value is re-encrypted with it), then remove the old key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Dialect, MetaData, Table, Text, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from advocacy.instance import kept_value

EXTENSION_KEY = "advocacy.keyring"
INSTANCE_KEY_FILE = "token_key"


class UnreadableSecret(Exception):
    """No key in use decrypts this value: the key that encrypted it is gone, or it was altered.

    The connection that held it must be made again; the message never carries the value.
    """

    def __init__(self) -> None:
        super().__init__("no token key decrypts this value (was the key that encrypted it "
                         "removed from ADVOCACY_TOKEN_KEYS?)")


def parse_keys(value: str) -> tuple[str, ...]:
    """The keys in an ``ADVOCACY_TOKEN_KEYS`` value, newest first.

    ValueError names a bad entry by its position (1 is the first), never by its value: the
    message ends up in logs and on consoles.
    """
    entries = tuple(entry.strip() for entry in value.split(","))
    if entries == ("",):
        raise ValueError("no key given; leave the variable unset to use the instance folder's")
    for position, entry in enumerate(entries, start=1):
        if not entry:
            raise ValueError(f"entry {position} is empty")
        try:
            Fernet(entry)
        except ValueError:  # binascii.Error is one too
            raise ValueError(f"entry {position} is not a Fernet key (32 bytes in url-safe "
                             "base64, as Fernet.generate_key() makes)") from None
    return entries


def instance_key(instance: Path) -> str:
    """The embedded setup's key, created once with mode 0600; every process agrees on it."""
    path = instance / INSTANCE_KEY_FILE
    key = kept_value(path, lambda: Fernet.generate_key().decode("ascii"))
    try:
        return parse_keys(key)[0]
    except ValueError:
        raise RuntimeError(f"{path} does not hold a Fernet key; delete it only if no token "
                           "was stored with it") from None


def _keys_of(app: Flask) -> MultiFernet:
    setting = app.config.get("TOKEN_KEYS")
    cached: tuple[Any, MultiFernet] | None = app.extensions.get(EXTENSION_KEY)
    if cached is not None and cached[0] == setting:
        return cached[1]
    if not setting:
        keys: tuple[str, ...] = (instance_key(Path(app.instance_path)),)
    elif isinstance(setting, str):  # a test or a caller passed the raw variable
        try:
            keys = parse_keys(setting)
        except ValueError as exc:
            raise SystemExit(f"ADVOCACY_TOKEN_KEYS: {exc}") from None
    else:
        keys = tuple(setting)
    multi = MultiFernet([Fernet(key) for key in keys])
    app.extensions[EXTENSION_KEY] = (setting, multi)
    return multi


def keys(app: Flask | None = None) -> MultiFernet:
    """The keys of ``app`` (default: the current one), the first one encrypting."""
    return _keys_of(app or current_app._get_current_object())  # type: ignore[attr-defined]


def encrypt(text: str) -> str:
    """``text`` encrypted with the newest key, as URL-safe ASCII."""
    return keys().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text in ``token``; :class:`UnreadableSecret` when no key decrypts it."""
    try:
        return keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        _unreadable()


def rotate(token: str) -> str:
    """``token`` re-encrypted with the newest key (its timestamp kept)."""
    try:
        return keys().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        _unreadable()


def _unreadable() -> NoReturn:
    raise UnreadableSecret() from None


class Secret:
    """A token or app secret in memory: printed, logged or formatted it shows ``***``.

    One loaded from the database stays encrypted until :meth:`reveal` is called, so that
    listing accounts whose key is gone still works (their reveal raises UnreadableSecret).
    """

    __slots__ = ("_text", "_token")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._token: str | None = None

    @classmethod
    def sealed(cls, token: str) -> Secret:
        """A secret as stored: decrypted on first :meth:`reveal`."""
        secret = cls.__new__(cls)
        secret._text, secret._token = None, token
        return secret

    def reveal(self) -> str:
        """The text itself, for the one call that sends it to the network."""
        if self._text is None:
            assert self._token is not None  # noqa: S101  (one of the two is always set)
            self._text = decrypt(self._token)
        return self._text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Tasks are pickled into the queue's storage: pass the account's id, not its token.
        raise TypeError("a Secret is not pickled; pass the id of the row that holds it")


class EncryptedText(TypeDecorator[Secret]):
    """A column whose values are encrypted before they reach the database.

    Assign a :class:`Secret` (or a plain str); read back a sealed Secret. Values cannot be
    searched or compared in SQL: every encryption of the same text differs.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Secret | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(value.reveal() if isinstance(value, Secret) else value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Secret | None:
        return None if value is None else Secret.sealed(str(value))

    def compare_values(self, x: Any, y: Any) -> bool:
        # Comparing would decrypt; a newly assigned Secret is always a change.
        return x is y


@dataclass(frozen=True)
class RotatedColumn:
    """What ``rotate_all`` did to one column: counts only."""

    table: str
    column: str
    rotated: int
    unreadable: int


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, list[str]]]:
    """Every table in ``metadata`` with its EncryptedText columns."""
    found = []
    for table in metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, EncryptedText)]
        if names:
            found.append((table, names))
    return found


def rotate_all(session: Session, metadata: MetaData | None = None) -> list[RotatedColumn]:
    """Re-encrypt every EncryptedText value in ``metadata`` (default: every model's) with
    the newest key; values no key reads are left as they are and counted. Flushes only."""
    if metadata is None:
        from advocacy.database import Base

        metadata = Base.metadata
    report = []
    for table, names in encrypted_columns(metadata):
        primary = list(table.primary_key.columns)
        if not primary:
            raise ValueError(f"{table.name} has encrypted columns but no primary key")
        for name in names:
            # Read and write the stored text itself, around EncryptedText's own processing.
            raw = type_coerce(table.c[name], Text)
            rows = session.execute(select(*primary, raw).where(table.c[name].is_not(None)))
            rotated = unreadable = 0
            for row in rows.all():
                try:
                    token = rotate(row[-1])
                except UnreadableSecret:
                    unreadable += 1
                    continue
                where = [column == value for column, value in zip(primary, row[:-1],
                                                                   strict=True)]
                session.execute(table.update().where(*where)
                                .values({name: type_coerce(token, Text)}))
                rotated += 1
            report.append(RotatedColumn(table.name, name, rotated, unreadable))
    session.flush()
    return report
