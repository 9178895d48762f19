"""Writes and lookups for accounts: users, departments, sign-in and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select

from advocacy import database as db
from advocacy.accounts.models import (
    ApiToken,
    Department,
    RevocationReason,
    Role,
    User,
    hash_token,
)
from advocacy.database import utcnow
from advocacy.errors import NotFound, Rejected
from advocacy.i18n import LANGUAGES
from advocacy.paging import Page, paginate
from advocacy.signals import credentials_revoked, token_issued
from advocacy.text import is_storable, parse_id, require_line, require_storable

MIN_PASSWORD_LENGTH = 10
#: The longest lifetime a token may be given, in seconds (a year, leap day included).
MAX_TOKEN_SECONDS = 366 * 24 * 3600
# A hash computed once so that unknown e-mail addresses cost as much time as known ones.
_DUMMY_HASH: list[str] = []


#: Every signed-in page runs it, so it is built once (``Session.get`` builds it each time).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: ``"<id>:<session version>"``, else nobody."""
    user_id, _, version = session_id.partition(":")
    found = parse_id(user_id)
    user = (db.session.execute(_USER_BY_ID, {"user_id": found}).scalar_one_or_none()
            if found is not None else None)
    if user is None or str(user.session_version) != version:
        return None
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def ensure_department(name: str, *, is_demo: bool = False) -> Department:
    """The department called ``name``, created when it does not exist yet."""
    name = name.strip()
    found = db.session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if found is not None:
        return found
    department = Department(name=name, is_demo=is_demo)
    db.session.add(department)
    db.session.flush()
    return department


def create_user(
    email: str,
    *,
    role: Role,
    password: str,
    name: str | None = None,
    department: str | None = None,
    is_demo: bool = False,
) -> User:
    """Create an account; refuses duplicates and weak passwords."""
    email = normalise_email(email)
    require_storable(password, "password")
    if name is not None:
        name = require_line(name, "name")
    local, _at, domain = email.partition("@")
    if not is_storable(email) or not local or not domain or len(email) > 254 or " " in email:
        raise Rejected("invalid_email", _l("Enter a valid e-mail address."), field="email")
    if find_user(email) is not None:
        raise Rejected("duplicate_email", _l("An account with this e-mail address exists."),
                       status=409, field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Rejected("weak_password",
                       _l("Use a password of at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                       field="password")
    user = User(
        email=email,
        name=(name or email.split("@")[0]).strip()[:120],
        role=Role(role),
        is_demo=is_demo,
        active=True,
    )
    user.set_password(password)
    if department:
        user.department = ensure_department(department, is_demo=is_demo)
    db.session.add(user)
    db.session.flush()
    return user


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def create_department(name: str) -> Department:
    """A new department; names are unique whatever their case."""
    name = require_line(name, "name")
    if not name or len(name) > 120:
        raise Rejected("invalid_name", _l("Give the department a name of at most %(n)d "
                                          "characters.", n=120), field="name")
    if db.session.scalar(select(Department.id).where(
            func.lower(Department.name) == name.lower())) is not None:
        raise Rejected("duplicate_department", _l("This department exists."), status=409,
                       field="name")
    return ensure_department(name)


def users_page(page: int, per_page: int) -> Page[User]:
    """Every account, by name."""
    return paginate(select(User).order_by(func.lower(User.name), User.id), page, per_page)


def update_user(actor: User, user: User, *, name: str, role: Role,
                department_id: int | None, active: bool) -> User:
    """An admin changes an account; nobody can lock themselves out of administration."""
    name = require_line(name, "name")
    if not name or len(name) > 120:
        raise Rejected("invalid_name", _l("Give a name of at most %(n)d characters.", n=120),
                       field="name")
    if user.id == actor.id and (role != Role.ADMIN or not active):
        raise Rejected("own_admin_rights", _l("You cannot take away your own admin rights or "
                                              "deactivate yourself."), status=409, field="role")
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            raise Rejected("unknown_department", _l("Unknown department."), field="department")
    deactivated = user.active and not active
    user.name, user.role, user.department, user.active = name, Role(role), department, active
    if deactivated:
        # Switching the account on again later must not bring old credentials back.
        revoke_credentials(user, actor=actor, reason=RevocationReason.DEACTIVATED)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    if not (is_storable(email) and is_storable(password)):
        return None
    user = find_user(email)
    if user is None:
        if not _DUMMY_HASH:
            probe = User(email="", name="", password_hash="")
            probe.set_password(secrets.token_hex(8))
            _DUMMY_HASH.append(probe.password_hash)
        User(email="", name="", password_hash=_DUMMY_HASH[0]).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def change_password(user: User, current: str, new: str, repeat: str) -> list[ApiToken]:
    """Replace the password after checking the current one; every session and API token
    ends (whoever knew the old password may have made one). Answers the revoked tokens."""
    if not (is_storable(current) and user.check_password(current)):
        raise Rejected("wrong_password", _l("This is not your current password."),
                       status=403, field="current")
    require_storable(new, "new")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Rejected("weak_password",
                       _l("Use a password of at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                       field="new")
    if new != repeat:
        raise Rejected("passwords_differ", _l("The two new passwords are not the same."),
                       field="repeat")
    user.set_password(new)
    return revoke_credentials(user, actor=user, reason=RevocationReason.PASSWORD_CHANGED)


def sign_out_everywhere(user: User) -> list[ApiToken]:
    """End every session of ``user`` and revoke their API tokens; answers the tokens."""
    return revoke_credentials(user, actor=user, reason=RevocationReason.SIGNED_OUT_EVERYWHERE)


def revoke_credentials(user: User, *, actor: User, reason: RevocationReason) -> list[ApiToken]:
    """End everything that lets someone act as ``user``: every session (on every device) and
    every API token that still works. The one place for it: a password change or reset,
    signing out everywhere and deactivation all call it. Token rows stay, marked revoked, for
    the record. Answers the tokens revoked now, oldest first."""
    user.end_sessions()
    now = utcnow()
    tokens = list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                               or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
        .order_by(ApiToken.created_at, ApiToken.id)))
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    credentials_revoked.send(user, actor=actor, reason=reason, tokens=tokens)
    return tokens


def usable_tokens_of(user: User) -> list[ApiToken]:
    """The tokens of ``user`` that still work (what signing out everywhere would revoke)."""
    return [token for token in tokens_of(user) if token.is_usable]


def set_language(user: User | None, language: str) -> None:
    """Remember the chosen UI language on the account."""
    if language not in LANGUAGES:
        raise Rejected("unknown_language", _l("Unknown language."), status=400)
    if user is not None:
        user.language = language


def default_token_seconds() -> int | None:
    """The lifetime of a new token when its creator does not choose (``TOKEN_EXPIRY_DAYS``);
    None: no expiry."""
    days = int(current_app.config["TOKEN_EXPIRY_DAYS"])
    return days * 24 * 3600 if days > 0 else None


def issue_token(user: User, name: str, expires_in: int | None) -> tuple[ApiToken, str]:
    """A new API token that stops working ``expires_in`` seconds from now (None: never); the
    secret is returned once and only its hash is stored."""
    name = require_line(name, "name") or "API"
    if len(name) > 120:
        raise Rejected("name_too_long", _l("Use at most %(n)d characters.", n=120), field="name")
    if expires_in is not None and not 0 < expires_in <= MAX_TOKEN_SECONDS:
        raise Rejected("invalid_expiry",
                       _l("A token can work for 1 to %(n)d seconds (366 days), or without "
                          "expiry.", n=MAX_TOKEN_SECONDS), field="expires_in")
    secret = "adv_" + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in is not None else None
    token = ApiToken(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10],
                     expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    token_issued.send(token, actor=user)
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens; someone else's is simply not found."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
