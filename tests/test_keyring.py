"""Secrets at rest: tokens are encrypted with ADVOCACY_TOKEN_KEYS, rotated, never shown."""

from __future__ import annotations

import logging
import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from advocacy import database as db
from advocacy import keyring
from advocacy.config import from_environment
from advocacy.keyring import EncryptedText, Secret, UnreadableSecret

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
TOKEN = "ya29.a0-the-access-token"


@pytest.fixture()
def keys(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set ADVOCACY_TOKEN_KEYS of the test app, as parsed at startup, for one test."""

    def use(*entries: str) -> None:
        monkeypatch.setitem(app.config, "TOKEN_KEYS", tuple(entries))

    use(OLD)
    with app.app_context():
        yield use


class ThrowawayBase(DeclarativeBase):
    metadata = MetaData()


class ConnectedThing(ThrowawayBase):
    """What a model holding a token looks like."""

    __tablename__ = "keyring_test_connected"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    access_token: Mapped[Secret | None] = mapped_column(EncryptedText)


@pytest.fixture()
def throwaway_table(app: Flask) -> Iterator[None]:
    engine = app.extensions[db.EXTENSION_KEY]
    ThrowawayBase.metadata.create_all(engine)
    yield
    with app.app_context():
        db.session.rollback()
    ThrowawayBase.metadata.drop_all(engine)


def test_a_token_comes_back_as_it_was_encrypted(keys: Any) -> None:
    for value in (TOKEN, "", "ünïcødé 🔑", "x" * 5000):
        sealed = keyring.encrypt(value)
        assert value not in sealed or not value
        assert keyring.decrypt(sealed) == value
    assert keyring.encrypt(TOKEN) != keyring.encrypt(TOKEN)  # nothing to compare by


def test_an_old_key_keeps_decrypting_until_tokens_are_rotated(keys: Any) -> None:
    written_with_old = keyring.encrypt(TOKEN)
    keys(NEW, OLD)
    assert keyring.decrypt(written_with_old) == TOKEN
    assert Fernet(NEW.encode()).decrypt(keyring.encrypt(TOKEN).encode()) == TOKEN.encode()
    rotated = keyring.rotate(written_with_old)
    keys(NEW)
    assert keyring.decrypt(rotated) == TOKEN
    with pytest.raises(UnreadableSecret):
        keyring.decrypt(written_with_old)


def test_a_token_no_key_reads_gives_a_clear_error_without_the_token(keys: Any) -> None:
    sealed = keyring.encrypt(TOKEN)
    keys(NEW)
    for attempt in (keyring.decrypt, keyring.rotate):
        with pytest.raises(UnreadableSecret, match="ADVOCACY_TOKEN_KEYS") as caught:
            attempt(sealed)
        assert sealed not in str(caught.value) and TOKEN not in str(caught.value)
    for garbage in ("not a token", "", "ö", sealed[:-4]):
        with pytest.raises(UnreadableSecret):
            keyring.decrypt(garbage)


@pytest.mark.usefixtures("throwaway_table")
def test_a_database_dump_holds_no_token_in_clear(keys: Any, caplog: pytest.LogCaptureFixture,
                                                 ) -> None:
    caplog.set_level(logging.DEBUG)
    thing = ConnectedThing(name="eva", access_token=Secret(TOKEN))
    db.session.add(thing)
    db.session.commit()
    dump = db.session.execute(text("SELECT * FROM keyring_test_connected")).all()
    assert len(dump) == 1 and TOKEN not in repr(dump)
    stored = dump[0].access_token
    assert keyring.decrypt(stored) == TOKEN

    db.session.expunge_all()
    loaded = db.session.get(ConnectedThing, thing.id)
    assert loaded is not None and loaded.access_token is not None
    assert loaded.access_token.reveal() == TOKEN
    shown = [repr(loaded.access_token), str(loaded.access_token), f"{loaded.access_token}",
             repr(vars(loaded)), caplog.text]
    assert not any(TOKEN in each for each in shown)
    assert "***" in shown[0]


@pytest.mark.usefixtures("throwaway_table")
def test_an_account_whose_key_is_gone_still_loads_and_fails_only_when_used(keys: Any) -> None:
    db.session.add(ConnectedThing(name="eva", access_token=TOKEN))
    db.session.commit()
    db.session.expunge_all()
    keys(NEW)
    loaded = db.session.scalars(select(ConnectedThing)).one()
    assert loaded.name == "eva" and loaded.access_token is not None
    with pytest.raises(UnreadableSecret):
        loaded.access_token.reveal()


def test_a_secret_is_never_pickled_onto_the_queue() -> None:
    with pytest.raises(TypeError, match="id"):
        pickle.dumps({"token": Secret(TOKEN)})


def test_the_instance_key_is_made_once_private_and_shared_by_two_apps(
        backend_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import make_app

    others = []
    for _ in range(2):
        other = make_app(backend_config, TOKEN_KEYS=None)
        monkeypatch.setattr(other, "instance_path", str(tmp_path))
        others.append(other)
    with others[0].app_context():
        sealed = keyring.encrypt(TOKEN)
    with others[1].app_context():
        assert keyring.decrypt(sealed) == TOKEN
    key_file = tmp_path / keyring.INSTANCE_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert keyring.instance_key(tmp_path) == key_file.read_text().strip()


def test_processes_starting_together_agree_on_one_instance_key(tmp_path: Path) -> None:
    program = ("import sys; from pathlib import Path; from advocacy.keyring import instance_key;"
               "print(instance_key(Path(sys.argv[1])))")
    starting = [subprocess.Popen([sys.executable, "-c", program, str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {process.communicate(timeout=60)[0].strip() for process in starting}
    assert len(keys) == 1 and Fernet(keys.pop())
    assert os.listdir(tmp_path) == [keyring.INSTANCE_KEY_FILE]


@pytest.mark.parametrize(("value", "position"), [
    ("", None), (" ", None), (f"{OLD},", "entry 2 is empty"), (f",{OLD}", "entry 1 is empty"),
    (f"{OLD},secret-but-no-key", "entry 2 is not a Fernet key"),
    ("c2hvcnQ=", "entry 1 is not a Fernet key"), (OLD[:-2], "entry 1 is not a Fernet key"),
])
def test_bad_token_keys_stop_the_hub_naming_the_entry_not_its_value(
        value: str, position: str | None) -> None:
    with pytest.raises(SystemExit) as caught:
        from_environment({"ADVOCACY_TOKEN_KEYS": value})
    message = str(caught.value)
    assert message.startswith("ADVOCACY_TOKEN_KEYS: ")
    assert position is None or position in message
    assert OLD not in message and "secret-but-no-key" not in message and "c2hv" not in message


def test_token_keys_are_read_newest_first() -> None:
    assert from_environment({"ADVOCACY_TOKEN_KEYS": f" {NEW} , {OLD}"})["TOKEN_KEYS"] == (
        NEW, OLD)
    assert from_environment({})["TOKEN_KEYS"] is None


@pytest.fixture()
def model_table(app: Flask) -> Iterator[Table]:
    """A table among every model's, as a connected-accounts model will be."""
    table = Table("keyring_test_accounts", db.Base.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("client_secret", EncryptedText),
                  Column("access_token", EncryptedText), Column("note", String(20)))
    engine = app.extensions[db.EXTENSION_KEY]
    try:
        table.create(engine)
        yield table
    finally:
        with app.app_context():
            db.session.rollback()
        table.drop(engine, checkfirst=True)
        db.Base.metadata.remove(table)


def test_tokens_rotate_re_encrypts_every_encrypted_column_printing_counts_only(
        app: Flask, keys: Any, model_table: Table) -> None:
    secrets = [f"secret-{n}" for n in range(3)]
    db.session.execute(model_table.insert(), [
        {"id": 1, "client_secret": secrets[0], "access_token": secrets[1], "note": "a"},
        {"id": 2, "client_secret": secrets[2], "access_token": None, "note": "b"}])
    db.session.commit()
    keys(NEW, OLD)

    result = app.test_cli_runner().invoke(args=["tokens", "rotate"])

    assert result.exit_code == 0, result.output
    assert "keyring_test_accounts.client_secret: re-encrypted 2 value(s)" in result.output
    assert "keyring_test_accounts.access_token: re-encrypted 1 value(s)" in result.output
    assert "Re-encrypted 3 value(s) in 2 column(s)" in result.output
    keys(NEW)
    raw = db.session.execute(text(
        "SELECT client_secret, access_token, note FROM keyring_test_accounts ORDER BY id")).all()
    assert not any(secret in result.output or secret in repr(raw) for secret in secrets)
    assert [keyring.decrypt(raw[0][0]), keyring.decrypt(raw[0][1]),
            keyring.decrypt(raw[1][0])] == secrets
    assert raw[1][1] is None and [row[2] for row in raw] == ["a", "b"]


def test_tokens_rotate_leaves_values_no_key_reads_and_says_so(
        app: Flask, keys: Any, model_table: Table) -> None:
    db.session.execute(model_table.insert(), [{"id": 1, "client_secret": "lost"}])
    db.session.commit()
    keys(NEW)
    db.session.execute(model_table.insert(), [{"id": 2, "client_secret": "kept"}])
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["tokens", "rotate"])

    assert result.exit_code != 0
    assert "re-encrypted 1 value(s), 1 no key decrypts" in result.output
    assert "1 value(s) no key decrypts were left" in result.output
    assert "lost" not in result.output and "kept" not in result.output
    keys(NEW, OLD)
    stored = db.session.scalars(select(model_table.c.client_secret).order_by(
        model_table.c.id)).all()
    assert [secret.reveal() for secret in stored if secret] == ["lost", "kept"]


def test_tokens_rotate_without_encrypted_columns_changes_nothing(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["tokens", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 0 value(s) in 0 column(s)" in result.output
