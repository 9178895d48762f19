"""What every fake network shares: a real HTTP server on 127.0.0.1 in a thread, a clock a test
can move forward, the people who have accounts there, OAuth codes and tokens, a record of what
the fake received, and the failures a test switches on.

A fake follows docs/networks.md; where that file marks a fact UNCONFIRMED, the fake has a
switch for the other possibility so that the hub can be tested against both.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import itertools
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, g, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

#: Endpoint name that matches every endpoint in :meth:`FakeNetwork.fail_next`.
ANY = "*"


class Failure(StrEnum):
    """Failures a test can switch on with :meth:`FakeNetwork.fail_next`."""

    TOKEN_EXPIRED = "token_expired"  # the network's own answer to an expired access token
    RATE_LIMITED = "rate_limited"  # 429 with the network's own headers (params: retry_after)
    SERVER_ERROR = "server_error"  # 5xx (param: status, default 500)
    SLOW = "slow"  # the work is done, the answer comes `seconds` later (param: seconds)
    DROP_AFTER_ACCEPT = "drop_after_accept"  # the work is done, the connection is cut unanswered
    DUPLICATE = "duplicate"  # X: 403 duplicate content, whatever the text
    RETIRED_VERSION = "retired_version"  # LinkedIn: 426 NONEXISTENT_VERSION, whatever the header


#: Failures answered before the handler runs; the others act on the handler's answer.
_BEFORE = {Failure.TOKEN_EXPIRED, Failure.RATE_LIMITED, Failure.SERVER_ERROR,
           Failure.DUPLICATE, Failure.RETIRED_VERSION}


class Answer(Exception):
    """Raised by a handler to answer at once with ``response`` (an error, mostly)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Member:
    """A person with an account at the network."""

    id: str
    username: str
    name: str
    avatar: str
    password: str | None = None  # Bluesky app password


@dataclass
class Token:
    value: str
    kind: str  # "access" | "refresh"
    member: Member
    client_id: str
    scopes: list[str]
    issued_at: float
    expires_at: float | None
    revoked: bool = False
    #: The access token a refresh token was issued with (revoking one revokes the pair).
    pair: str | None = None
    #: Until when a rotated refresh token still works (Bluesky's grace period).
    grace_until: float | None = None


@dataclass
class Grant:
    """An authorisation code the allow button handed out."""

    code: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    member: Member
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    endpoint: str
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class _Planned:
    failure: Failure
    endpoint: str
    times: int
    params: dict[str, Any] = field(default_factory=dict)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Quiet(WSGIRequestHandler):
    """Keeps the test output free of one access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeNetwork:
    """Base of the fakes. Subclasses add their routes in :meth:`routes` and say how their
    network answers errors (:meth:`expired_answer`, :meth:`rate_limited_answer`, ...)."""

    network: ClassVar[str]
    #: How long an authorisation code can be exchanged, in seconds.
    code_lifetime: ClassVar[float] = 30.0
    #: Endpoints that are pages or token calls; ``fail_next(..., endpoint=ANY)`` skips them.
    oauth_endpoints: ClassVar[frozenset[str]] = frozenset({"authorize", "token", "revoke"})
    #: Rate-limit buckets: endpoint -> (requests, window in seconds); see docs/networks.md.
    default_limits: ClassVar[dict[str, tuple[int, int]]] = {}

    def __init__(self) -> None:
        self.app = Flask(f"fake-{self.network}")
        self.lock = threading.RLock()
        self.members: dict[str, Member] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, Grant] = {}
        #: Every post the network accepted, in order (network-specific dicts with at least
        #: ``id``, ``url``, ``member`` and ``text``).
        self.posts: list[dict[str, Any]] = []
        #: Every piece of media it accepted.
        self.media: dict[str, dict[str, Any]] = {}
        #: Every request it received.
        self.requests: list[Seen] = []
        #: Seconds every answer waits before it is sent (benchmarks: a network's latency).
        self.latency = 0.0
        self.limits = dict(self.default_limits)
        self._offset = 0.0
        self._planned: list[_Planned] = []
        self._chaos: tuple[float, tuple[int, ...], random.Random] | None = None
        self._hits: dict[tuple[str, str], list[float]] = {}
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app.before_request(self._before)
        self.app.after_request(self._after)
        self.app.register_error_handler(Answer, lambda e: e.response)
        self.routes()
        self.signed_in = self.add_member("eva", "Eva de Vries")

    # -- running -----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True,
                                   request_handler=_Quiet)
        # A short poll interval: stopping a fake waits for one poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name=f"fake-{self.network}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``, with no slash at the end."""
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- the clock ---------------------------------------------------------------------------

    def now(self) -> float:
        """The network's time: the real time plus whatever :meth:`advance` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass at the network (codes and tokens expire, limits reset)."""
        self._offset += seconds

    # -- people and tokens -------------------------------------------------------------------

    def add_member(self, username: str, name: str | None = None,
                   password: str | None = None) -> Member:
        member = Member(id=self.member_id(), username=username, name=name or username.title(),
                        avatar=f"https://media.example/{self.network}/{username}.jpg",
                        password=password)
        self.members[member.id] = member
        return member

    def member_id(self) -> str:
        return str(next(self._ids) + 1000)

    def next_id(self) -> str:
        return str(next(self._ids) + 10_000_000)

    def issue(self, member: Member, client_id: str, scopes: list[str],
              lifetime: float | None, refresh_lifetime: float | None = None,
              with_refresh: bool = False) -> tuple[Token, Token | None]:
        """A new access token (and refresh token) for ``member``."""
        now = self.now()
        access = Token(self.new_secret("at"), "access", member, client_id, scopes, now,
                       None if lifetime is None else now + lifetime)
        self.tokens[access.value] = access
        refresh = None
        if with_refresh:
            refresh = Token(self.new_secret("rt"), "refresh", member, client_id, scopes, now,
                            None if refresh_lifetime is None else now + refresh_lifetime,
                            pair=access.value)
            self.tokens[refresh.value] = refresh
        return access, refresh

    def new_secret(self, prefix: str) -> str:
        return f"{self.network}-{prefix}-{secrets.token_urlsafe(18)}"

    def live(self, value: str | None, kind: str = "access") -> Token | None:
        """The token ``value`` if it exists, is of ``kind``, and is neither revoked nor
        expired."""
        token = self.tokens.get(value or "")
        if token is None or token.kind != kind or token.revoked:
            return None
        if token.expires_at is not None and token.expires_at <= self.now():
            return None
        return token

    def expired(self, value: str | None) -> bool:
        token = self.tokens.get(value or "")
        return bool(token and not token.revoked and token.expires_at is not None
                    and token.expires_at <= self.now())

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens keep working)."""
        with self.lock:
            for token in self.tokens.values():
                if token.kind == "access":
                    token.expires_at = min(token.expires_at or self.now(), self.now())

    def revoke(self, value: str) -> bool:
        """Revoke a token and its pair, as the network's revocation endpoint does."""
        with self.lock:
            token = self.tokens.get(value)
            if token is None:
                return False
            token.revoked = True
            for other in self.tokens.values():
                if other.pair == value or token.pair == other.value:
                    other.revoked = True
            return True

    @property
    def revoked(self) -> list[str]:
        """The tokens revoked so far."""
        return [t.value for t in self.tokens.values() if t.revoked]

    def bearer(self) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    # -- what the fake received --------------------------------------------------------------

    def calls(self, endpoint: str) -> int:
        """How many requests reached ``endpoint``."""
        return sum(1 for seen in self.requests if seen.endpoint == endpoint)

    # -- failures ----------------------------------------------------------------------------

    def fail_next(self, failure: Failure | str, endpoint: str = ANY, times: int = 1,
                  **params: Any) -> None:
        """The next ``times`` requests to ``endpoint`` (``ANY``: every API endpoint, not the
        OAuth ones) fail as ``failure``; see :class:`Failure` for the params."""
        with self.lock:
            self._planned.append(_Planned(Failure(failure), endpoint, times, params))

    def chaos(self, fraction: float, statuses: tuple[int, ...] = (429, 500),
              seed: int = 0) -> None:
        """From now on, a random ``fraction`` of API requests fail with one of ``statuses``
        (benchmarks); ``chaos(0)`` stops it."""
        self._chaos = (fraction, statuses, random.Random(seed)) if fraction else None

    def set_limit(self, endpoint: str, requests: int, window: int) -> None:
        """Allow ``requests`` calls to ``endpoint`` per member per ``window`` seconds."""
        self.limits[endpoint] = (requests, window)

    def _take(self, endpoint: str, when: set[Failure] | None) -> _Planned | None:
        with self.lock:
            for planned in self._planned:
                matches = planned.endpoint == endpoint or (
                    planned.endpoint == ANY and endpoint not in self.oauth_endpoints)
                if matches and (when is None or planned.failure in when):
                    planned.times -= 1
                    if planned.times <= 0:
                        self._planned.remove(planned)
                    return planned
        return None

    def count(self, endpoint: str, key: str) -> None:
        """Count a call to a rate-limited endpoint by ``key`` (a member); over the limit the
        network's 429 is raised, otherwise its rate-limit headers go on the answer."""
        if endpoint not in self.limits:
            return
        limit, window = self.limits[endpoint]
        now = self.now()
        with self.lock:
            hits = self._hits.setdefault((endpoint, key), [])
            hits[:] = [t for t in hits if t > now - window]
            reset = (hits[0] if hits else now) + window
            if len(hits) >= limit:
                raise Answer(self.rate_limited_answer(limit, reset, None))
            hits.append(now)
            g.rate = (limit, limit - len(hits), reset)

    def _before(self) -> Response | None:
        endpoint = request.endpoint or "unknown"
        seen = Seen(request.method, request.full_path.rstrip("?"), endpoint,
                    dict(request.headers), request.get_data(cache=True))
        with self.lock:
            self.requests.append(seen)
        g.seen = seen
        if self._chaos is not None and endpoint not in self.oauth_endpoints:
            fraction, statuses, rng = self._chaos
            with self.lock:
                status = rng.choice(statuses) if rng.random() < fraction else None
            if status == 429:
                return self.rate_limited_answer(1, self.now() + 1, 1)
            if status is not None:
                return self.server_error_answer(status)
        planned = self._take(endpoint, _BEFORE)
        if planned is None:
            return None
        if planned.failure is Failure.TOKEN_EXPIRED:
            return self.expired_answer()
        if planned.failure is Failure.RATE_LIMITED:
            retry_after = planned.params.get("retry_after")
            reset_in = planned.params.get("reset_in", retry_after or 60)
            return self.rate_limited_answer(planned.params.get("limit", 100),
                                            self.now() + reset_in, retry_after)
        if planned.failure is Failure.SERVER_ERROR:
            return self.server_error_answer(planned.params.get("status", 500))
        return self.special_answer(planned)

    def _after(self, response: Response) -> Response:
        seen: Seen | None = g.get("seen")
        if seen is not None:
            seen.status = response.status_code
        rate = g.get("rate")
        if rate is not None and response.status_code != 429:
            response.headers.extend(self.rate_headers(*rate))
        endpoint = request.endpoint or "unknown"
        # Only an accepted request can be "accepted, then the connection dropped".
        after = {Failure.SLOW} | ({Failure.DROP_AFTER_ACCEPT} if response.status_code < 400
                                  else set())
        planned = self._take(endpoint, after)
        if self.latency:
            self._stopping.wait(self.latency)
        if planned is not None and planned.failure is Failure.SLOW:
            self._stopping.wait(planned.params.get("seconds", 5.0))
        if planned is not None and planned.failure is Failure.DROP_AFTER_ACCEPT:
            connection: socket.socket = request.environ["werkzeug.socket"]
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        return response

    # -- how the network answers (subclasses) -------------------------------------------------

    def routes(self) -> None:
        raise NotImplementedError

    def expired_answer(self) -> Response:
        raise NotImplementedError

    def rate_limited_answer(self, limit: int, reset: float, retry_after: int | None) -> Response:
        raise NotImplementedError

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}

    def server_error_answer(self, status: int) -> Response:
        raise NotImplementedError

    def special_answer(self, planned: _Planned) -> Response:
        raise NotImplementedError(f"{self.network} has no failure {planned.failure}")

    # -- helpers for subclasses --------------------------------------------------------------

    def route(self, rule: str, endpoint: str,
              methods: tuple[str, ...] = ("GET",)) -> Callable[[Callable[..., Any]],
                                                               Callable[..., Any]]:
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            self.app.add_url_rule(rule, endpoint, view, methods=list(methods))
            return view

        return register

    @staticmethod
    def json(body: Any, status: int = 200, headers: dict[str, str] | None = None,
             mimetype: str = "application/json") -> Response:
        response = jsonify(body)
        response.status_code = status
        response.mimetype = mimetype
        response.headers.extend(headers or {})
        return response

    def params(self) -> dict[str, Any]:
        """The request's parameters: a JSON body, or form fields (lists kept as lists)."""
        if request.is_json:
            body = request.get_json(silent=True)
            return body if isinstance(body, dict) else {}
        merged: dict[str, Any] = {}
        for key in request.form:
            values = request.form.getlist(key)
            name = key.removesuffix("[]")
            merged[name] = values if key.endswith("[]") or len(values) > 1 else values[0]
        return merged

    # -- the authorise page ------------------------------------------------------------------

    def authorise_page(self, client_name: str, scopes: list[str]) -> Response:
        """The consent page: the query string goes back with the Allow or Deny button."""
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in request.args.items())
        body = (
            f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>Authorise {html.escape(client_name)} - fake {self.network}</title></head>"
            f"<body><h1>Fake {self.network}</h1>"
            f"<p>Signed in as <b>{html.escape(self.signed_in.username)}</b>. "
            f"<b>{html.escape(client_name)}</b> asks for: {html.escape(' '.join(scopes))}</p>"
            f'<form method="post">{fields}'
            f'<button type="submit" name="decision" value="allow">Allow</button> '
            f'<button type="submit" name="decision" value="deny">Deny</button>'
            f"</form></body></html>")
        return Response(body, mimetype="text/html")

    @staticmethod
    def refused_page(reason: str) -> Response:
        """What a network shows, instead of redirecting, for an unknown client or redirect
        address: an error page."""
        return Response(f"<!doctype html><title>Error</title><p>{html.escape(reason)}</p>",
                        status=400, mimetype="text/html")

    def grant(self, client_id: str, redirect_uri: str, scopes: list[str]) -> Grant:
        args = request.form
        grant = Grant(secrets.token_urlsafe(24), client_id, redirect_uri, scopes, self.signed_in,
                      args.get("code_challenge"), args.get("code_challenge_method"),
                      self.now() + self.code_lifetime)
        with self.lock:
            self.codes[grant.code] = grant
        return grant

    @staticmethod
    def back_to(redirect_uri: str, **params: str | None) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return Response(status=302, headers={"Location": f"{redirect_uri}{separator}{query}"})

    def redeem(self, code: str | None, client_id: str | None, redirect_uri: str | None,
               verifier: str | None) -> Grant | str:
        """The grant behind ``code``, or the OAuth error to answer: codes work once, within
        :attr:`code_lifetime`, for the same client and redirect address, and with the PKCE
        verifier of the challenge they were issued for."""
        with self.lock:
            grant = self.codes.get(code or "")
            if grant is None or grant.used or grant.expires_at <= self.now():
                return "invalid_grant"
            grant.used = True
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            return "invalid_grant"
        if grant.challenge is not None:
            if not verifier:
                return "invalid_request"
            expected = s256(verifier) if grant.method == "S256" else verifier
            if not secrets.compare_digest(expected, grant.challenge):
                return "invalid_grant"
        return grant

    def basic_auth(self) -> tuple[str, str] | None:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return None
        return auth.username or "", auth.password or ""


@contextlib.contextmanager
def running(fake: FakeNetwork) -> Iterator[FakeNetwork]:
    """``with running(FakeX()) as x:`` starts the fake and stops it afterwards."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
