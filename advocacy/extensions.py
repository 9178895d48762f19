"""Flask extensions, created unbound and initialised by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from advocacy.accounts import ratelimits

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


#: Seconds the limiter waits for Redis to connect or answer before it stops waiting.
REDIS_TIMEOUT = 1.0


def limiter_settings(storage_url: str | None) -> dict[str, Any]:
    """Flask-Limiter's settings for ``ADVOCACY_RATELIMIT_STORAGE_URL``.

    Unset, the counters live in the hub's database, so every web process of the embedded
    setup counts together; scaled out, Redis does. When the store cannot be reached, each
    process counts in its own memory (and logs it) until the store answers again, trying it
    after 1, 2, 4 ... 32 s: nobody is locked out by an outage, and the limits still hold per
    process meanwhile instead of falling away. Redis is given up on after ``REDIS_TIMEOUT``
    without retries (redis-py would otherwise retry ten times with back-off); the database
    after its engine's own timeouts.
    """
    url = storage_url or f"{ratelimits.SCHEME}://"
    options: dict[str, Any] = {}
    if url.startswith(("redis://", "rediss://", "unix://")):
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT,
                   "retry": Retry(NoBackoff(), 0)}
    return {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_STORAGE_OPTIONS": options,
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True}


def login_limit_key() -> str:
    """Rate-limit logins per client address and per attempted account."""
    email = ""
    # Only small bodies are read here: the key must not cost more than the attempt it limits.
    if (request.content_length or 0) <= 8192:
        email = request.form.get("email") or ""
        if not email and request.is_json:
            try:
                body = request.get_json(silent=True)
            except RecursionError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("email"), str):
                email = body["email"]
    # The key goes to the limiter's storage (Redis when scaled out): valid UTF-8 only.
    email = email.strip().lower()[:254].encode("utf-8", "replace").decode("utf-8")
    return f"{get_remote_address()}|{email}"


F = TypeVar("F", bound=Callable[..., Any])

#: Set on views that carry a limit of their own (the decorators below); the limiter skips
#: every other request outright instead of working out, per request, that none applies.
LIMITED_ATTR = "advocacy_rate_limited"


def _marked(decorator: Callable[[F], F]) -> Callable[[F], F]:
    def mark(view: F) -> F:
        limited = decorator(view)
        setattr(limited, LIMITED_ATTR, True)
        return limited

    return mark


@limiter.request_filter
def _no_limit_here() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, LIMITED_ATTR, False)


# One budget for the sign-in form and the token API together: per address and account,
# and per address across all accounts (against password spraying).
_per_account = limiter.shared_limit(
    lambda: str(current_app.config["LOGIN_RATE_LIMIT"]), scope="login-account",
    key_func=login_limit_key, methods=["POST"],
)
_per_address = limiter.shared_limit(
    lambda: str(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]), scope="login-address",
    key_func=get_remote_address, methods=["POST"],
)


def login_limited(view: F) -> F:
    """Apply both sign-in limits to ``view``."""
    return _marked(lambda v: cast(F, _per_address(_per_account(v))))(view)


def account_key() -> str:
    """Limits on what a signed-in person writes count per account (any device, any address)."""
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


#: Messages in a story's thread: plenty for a conversation, not enough to flood curators.
comment_limited = _marked(limiter.shared_limit(
    lambda: str(current_app.config["COMMENT_RATE_LIMIT"]), scope="comments",
    key_func=account_key, methods=["POST"]))
#: The live guideline check runs while someone types (debounced); this only stops abuse.
check_limited = _marked(limiter.shared_limit(
    lambda: str(current_app.config["CHECK_RATE_LIMIT"]), scope="guideline-checks",
    key_func=account_key, methods=["POST"]))
